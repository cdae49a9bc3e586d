package container

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseDetachKeys(t *testing.T) {
	for in, want := range map[string][]byte{
		"":                      {16, 17},
		"ctrl-p,ctrl-q":         {16, 17},
		"a":                     {'a'},
		"ctrl-a,X":              {1, 'X'},
		"ctrl-@,ctrl-[,ctrl-\\": {0, 27, 28},
		"ctrl-],ctrl-^,ctrl-_":  {29, 30, 31},
		"DEL":                   {127},
	} {
		got, err := ParseDetachKeys(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseDetachKeys(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"ctrl-1", "ctrl-A", "ctrl", "ab", "ctrl-p,", "alt-x"} {
		if _, err := ParseDetachKeys(in); err == nil {
			t.Errorf("ParseDetachKeys(%q): no error", in)
		}
	}
}

func TestEscapeReader(t *testing.T) {
	keys := []byte{16, 17}
	for _, tc := range []struct {
		in, want string
		detached bool
	}{
		{"hello\n", "hello\n", false},
		{"ab\x10\x11cd", "ab", true},
		{"a\x10b\x10\x11", "a\x10b", true},
		{"\x10\x10\x11", "\x10", true},
		{"x\x10", "x", false}, // an unfinished sequence at EOF is dropped
	} {
		for name, r := range map[string]io.Reader{
			"whole":   strings.NewReader(tc.in),
			"onebyte": iotest.OneByteReader(strings.NewReader(tc.in)),
		} {
			got, err := io.ReadAll(newEscapeReader(r, keys))
			if tc.detached != errors.Is(err, ErrDetached) || (!tc.detached && err != nil) {
				t.Errorf("%q (%s): err %v, detached want %v", tc.in, name, err, tc.detached)
			}
			if string(got) != tc.want {
				t.Errorf("%q (%s): got %q, want %q", tc.in, name, got, tc.want)
			}
		}
	}
}
