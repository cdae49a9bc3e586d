package output

import (
	"bytes"
	"testing"
)

func TestLayersNotTerminal(t *testing.T) {
	var b bytes.Buffer
	l := NewLayers(&b)
	l.Set("aaa", "Waiting", 0, 10, false)
	l.Set("bbb", "Already exists", 0, 0, true)
	l.Set("aaa", "Downloading", 5, 10, false)
	l.Flush()
	l.Set("aaa", "Download complete", 10, 10, true)
	l.Set("aaa", "Pull complete", 10, 10, true) // a final state sticks
	l.Set("ccc", "Waiting", 0, 3, false)
	l.Finish("Done")
	want := "bbb: Already exists\naaa: Download complete\nccc: Done\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

func TestLayersTerminal(t *testing.T) {
	var b bytes.Buffer
	l := &Layers{w: &b, tty: true, byID: map[string]*layerRow{}}
	l.Set("aaa", "Downloading", 1024, 2048, false)
	l.Flush()
	l.Set("aaa", "Download complete", 0, 0, true)
	l.Flush()
	want := "\raaa: Downloading [==============>               ] 1.0 KiB / 2.0 KiB\x1b[K\n" +
		"\x1b[1A\raaa: Download complete\x1b[K\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		done, total int64
		want        string
	}{
		{0, 10, "[          ]"},
		{1, 100, "[>         ]"},
		{5, 10, "[====>     ]"},
		{10, 10, "[==========]"},
		{20, 10, "[==========]"},
		{-1, 10, "[          ]"},
	} {
		if got := bar(tc.done, tc.total, 10); got != tc.want {
			t.Errorf("bar(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}
