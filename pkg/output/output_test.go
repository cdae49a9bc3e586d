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
	for _, ok := range []string{"", "table", "json", "{{.ID}}", "{{json .}}", "table {{.ID}}", "{{pad .ID 1 1}}{{truncate .ID 2}}"} {
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

type viewRow struct {
	ID, Names, Status string
}

func (r viewRow) Label(k string) string { return "v-" + k }

var viewHeader = viewRow{ID: "CONTAINER ID", Names: "NAMES", Status: "STATUS"}

func TestRender(t *testing.T) {
	rows := []viewRow{{"a1", "web", "Up 3 seconds"}, {"b22", "db<&>", "Exited (0) 5 seconds ago"}}
	def := "table {{.ID}}\t{{.Names}}"
	for _, tc := range []struct {
		format string
		quiet  bool
		want   string
	}{
		{"", false, "CONTAINER ID   NAMES\na1             web\nb22            db<&>\n"},
		{"table", false, "CONTAINER ID   NAMES\na1             web\nb22            db<&>\n"},
		{"", true, "a1\nb22\n"},
		{`table {{.Names}}\t{{.Status}}`, false, "NAMES     STATUS\nweb       Up 3 seconds\ndb<&>     Exited (0) 5 seconds ago\n"},
		{"table {{.Names}}\t{{.Status}}", false, "NAMES     STATUS\nweb       Up 3 seconds\ndb<&>     Exited (0) 5 seconds ago\n"},
		{"{{.Names}}\t{{.ID}}", false, "web\ta1\ndb<&>\tb22\n"},
		{"json", false, `{"ID":"a1","Names":"web","Status":"Up 3 seconds"}` + "\n" + `{"ID":"b22","Names":"db<&>","Status":"Exited (0) 5 seconds ago"}` + "\n"},
		{"{{json .Names}}", false, "\"web\"\n\"db<&>\"\n"},
		{`{{.Label "app"}}`, false, "v-app\nv-app\n"},
		{"{{upper .Names}} {{lower .Status}} {{title .Status}}", false, "WEB up 3 seconds Up 3 Seconds\nDB<&> exited (0) 5 seconds ago Exited (0) 5 Seconds Ago\n"},
		{`{{join (split .Status " ") "_"}}`, false, "Up_3_seconds\nExited_(0)_5_seconds_ago\n"},
		{"{{truncate .Status 2}}|{{pad .Names 1 2}}|", false, "Up| web  |\nEx| db<&>  |\n"},
		{"{{println .Names}}", false, "web\n\ndb<&>\n\n"},
		{"table {{upper .Names}}\t{{truncate .ID 1}}", false, "NAMES     CONTAINER ID\nWEB       a\nDB<&>     b\n"},
	} {
		var b bytes.Buffer
		if err := Render(&b, tc.format, def, viewHeader, rows, tc.quiet, func(r viewRow) string { return r.ID }); err != nil {
			t.Errorf("%q: %v", tc.format, err)
			continue
		}
		if b.String() != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.format, b.String(), tc.want)
		}
	}
	// A table with no rows keeps its header.
	var b bytes.Buffer
	if err := Render(&b, "", def, viewHeader, nil, false, nil); err != nil || b.String() != "CONTAINER ID   NAMES\n" {
		t.Errorf("empty table: %q, %v", b.String(), err)
	}
	if err := Render(&b, "{{.Nope}}", def, viewHeader, rows, false, nil); err == nil {
		t.Error("a template naming a missing field must fail")
	}
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "running": "Running", "exited (0) 5 seconds ago": "Exited (0) 5 Seconds Ago",
		"app=web,tier=front": "App=Web,Tier=Front", "snake_case x-y": "Snake_case X-Y", "élan vital": "Élan Vital",
	} {
		if got := title(in); got != want {
			t.Errorf("title(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrintTableTemplate(t *testing.T) {
	var b bytes.Buffer
	if err := Print(&b, Options{Format: "table {{.Name}}\t{{.ID}}"}, []row{{"a1", "web"}}, cols, nil); err != nil {
		t.Fatal(err)
	}
	if want := "NAME      ID\nweb       a1\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	if err := Print(&b, Options{Format: "json"}, []row{{"a<1>", "b&c"}}, cols, nil); err != nil || b.String() != `{"ID":"a<1>","Name":"b&c"}`+"\n" {
		t.Errorf("json escapes HTML: %q %v", b.String(), err)
	}
}
