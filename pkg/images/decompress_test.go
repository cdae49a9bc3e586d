package images

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestDecompress(t *testing.T) {
	const want = "hello bzip2\n"
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte(want))
	_ = w.Close()
	var zs bytes.Buffer
	zw, _ := zstd.NewWriter(&zs)
	_, _ = zw.Write([]byte(want))
	_ = zw.Close()
	var xzb bytes.Buffer
	xw, _ := xz.NewWriter(&xzb)
	_, _ = xw.Write([]byte(want))
	_ = xw.Close()
	bz, _ := hex.DecodeString("425a6839314159265359ab6ba1f1000002d9800010400010001264c01020003100d34d04001ea3ef4e51a2078bb9229c284855b5d0f880")
	for name, in := range map[string][]byte{"plain": []byte(want), "gzip": gz.Bytes(), "zstd": zs.Bytes(), "bzip2": bz, "xz": xzb.Bytes()} {
		r, done, err := Decompress(bytes.NewReader(in), "archive")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		done()
		if err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestDecompressRefuses(t *testing.T) {
	if _, _, err := Decompress(strings.NewReader(""), "archive"); !errors.Is(err, ErrEmptyInput) {
		t.Errorf("empty input: %v, want ErrEmptyInput", err)
	}
	broken := []byte{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0}
	_, _, err := Decompress(bytes.NewReader(broken), "archive")
	if err == nil || !strings.Contains(err.Error(), "reading xz-compressed archive") {
		t.Errorf("a broken xz header: %v, want an error naming the xz archive", err)
	}
}
