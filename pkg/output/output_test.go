package output

import (
	"bytes"
	"testing"
)

type row struct{ ID, Name string }

var cols = []Column[row]{
	{Header: "ID", Value: func(r row) string { return r.ID }},
	{Header: "NAME", Value: func(r row) string { return r.Name }},
}

func TestPrint(t *testing.T) {
	rows := []row{{"a1", "web"}, {"b22", "database"}}
	tests := []struct {
		o    Options
		want string
	}{
		{Options{}, "ID    NAME\na1    web\nb22   database\n"},
		{Options{Quiet: true}, "a1\nb22\n"},
		{Options{Format: "json"}, "{\"ID\":\"a1\",\"Name\":\"web\"}\n{\"ID\":\"b22\",\"Name\":\"database\"}\n"},
		{Options{Format: "{{.Name}}={{.ID}}"}, "web=a1\ndatabase=b22\n"},
		{Options{Format: "{{json .Name}}"}, "\"web\"\n\"database\"\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Print(&b, tt.o, rows, cols, func(r row) string { return r.ID }); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.o, b.String(), tt.want)
		}
	}
	var b bytes.Buffer
	if err := Print(&b, Options{Format: "{{.Nope}}"}, rows, cols, nil); err == nil {
		t.Error("a template naming a missing field must fail")
	}
	if _, err := Template("{{"); err == nil {
		t.Error("a broken template must fail to parse")
	}
}

func TestValidate(t *testing.T) {
	for _, ok := range []string{"", "table", "json", "{{.ID}}", "{{json .}}"} {
		if err := Validate(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"{{", "{{.ID", "{{nosuchfunc .}}"} {
		if err := Validate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
