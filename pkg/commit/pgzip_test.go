package commit

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"math/rand"
	"runtime"
	"testing"
)

// layerLike is input with both incompressible and repetitive stretches,
// longer than several blocks and not a multiple of the block size.
func layerLike(n int) []byte {
	r := rand.New(rand.NewSource(1))
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		end := min(i+4096, n)
		if (i/4096)%3 == 0 {
			r.Read(b[i:end])
		} else {
			copy(b[i:end], bytes.Repeat([]byte("lumper commit "), 300))
		}
	}
	return b
}

func pgzip(t testing.TB, data []byte, chunk int) []byte {
	var out bytes.Buffer
	w, err := newParallelGzip(&out, gzipLevel)
	if err != nil {
		t.Fatal(err)
	}
	for p := data; len(p) > 0; {
		k := min(chunk, len(p))
		if _, err := w.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestParallelGzipRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 100, gzipBlockSize, 3*gzipBlockSize + 12345} {
		data := layerLike(n)
		z := pgzip(t, data, 7000)
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if zr.Header.Name != "" || !zr.Header.ModTime.IsZero() {
			t.Errorf("%d bytes: header has name %q, mtime %v; want none", n, zr.Header.Name, zr.Header.ModTime)
		}
		zr.Multistream(false)
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%d bytes: decompressing: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: decompressed %d bytes that differ from the input", n, len(got))
		}
		if n > gzipBlockSize && len(z) >= n {
			t.Errorf("%d bytes: compressed to %d, no smaller", n, len(z))
		}
	}
}

// The output must not depend on how the input is written or on the number
// of goroutines: the same layer, the same digest.
func TestParallelGzipDeterministic(t *testing.T) {
	data := layerLike(5*gzipBlockSize + 999)
	want := sha256.Sum256(pgzip(t, data, 1<<20))
	for _, procs := range []int{1, 2, 8} {
		old := runtime.GOMAXPROCS(procs)
		for _, chunk := range []int{512, 32 << 10, 3 << 20} {
			if got := sha256.Sum256(pgzip(t, data, chunk)); got != want {
				t.Errorf("GOMAXPROCS %d, writes of %d: digest differs", procs, chunk)
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// With a tee, every block reaches the reader in order and unchanged, and
// the compressed output is the same as without one, even as the recycled
// blocks are filled again while the reader and the compressors lag behind.
func TestParallelGzipTee(t *testing.T) {
	data := layerLike(9*gzipBlockSize + 4321)
	want := sha256.Sum256(pgzip(t, data, 1<<20))
	for round := range 4 {
		blocks := make(chan *inBlock, 2)
		read := make(chan []byte)
		go func() {
			r := &blockReader{blocks: blocks}
			var got bytes.Buffer
			buf := make([]byte, 777)
			for {
				n, err := r.Read(buf)
				got.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if round%2 == 1 {
					runtime.Gosched()
				}
			}
			read <- got.Bytes()
		}()
		var out bytes.Buffer
		w, err := newParallelGzip(&out, gzipLevel)
		if err != nil {
			t.Fatal(err)
		}
		w.tee = blocks
		for p := data; len(p) > 0; {
			k := min(5000+round*70000, len(p))
			if _, err := w.Write(p[:k]); err != nil {
				t.Fatal(err)
			}
			p = p[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		close(blocks)
		if got := <-read; !bytes.Equal(got, data) {
			t.Fatalf("round %d: the tee read %d bytes that differ from the input", round, len(got))
		}
		if sha256.Sum256(out.Bytes()) != want {
			t.Fatalf("round %d: the output differs from the one without a tee", round)
		}
	}
}

func BenchmarkParallelGzip(b *testing.B) {
	data := layerLike(32 << 20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		w, _ := newParallelGzip(io.Discard, gzipLevel)
		w.Write(data)
		w.Close()
	}
}

func BenchmarkStdGzipDefault(b *testing.B) {
	data := layerLike(32 << 20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		w := gzip.NewWriter(io.Discard)
		w.Write(data)
		w.Close()
	}
}

func BenchmarkParallelGzipRandom(b *testing.B) {
	data := make([]byte, 32<<20)
	rand.New(rand.NewSource(2)).Read(data)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		w, _ := newParallelGzip(io.Discard, gzipLevel)
		w.Write(data)
		w.Close()
	}
}
