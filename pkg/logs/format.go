// Package logs stores and reads container logs.
//
// # File format
//
// A log file holds one record per line, in the CRI log format that
// containerd's CRI plugin and the kubelet use:
//
//	<timestamp> <stream> <tag> <content>\n
//
// timestamp is the moment the first byte of the line reached the logger, in
// RFC 3339 with nanoseconds, in UTC. The writer always emits nine fractional
// digits (2024-05-01T12:00:00.123456780Z) so that all records have the same
// width and sort as text; the reader accepts any RFC 3339 timestamp.
//
// stream is "stdout" or "stderr".
//
// tag is "F" for a full line: the container wrote the content followed by a
// newline, which is not stored. It is "P" for a partial line: either the line
// was longer than MaxLineSize and was split, or the stream ended (the
// container exited) in the middle of a line. A reader joins a P record with
// the next record of the same stream; a P record that has no successor is
// printed without adding a newline.
//
// content is the raw bytes written by the container, without the newline.
// Records of stdout and stderr are interleaved in the order they were written.
//
// # Rotation
//
// When appending a record would make the file larger than its maximum size,
// the file is renamed to <path>.1, <path>.1 to <path>.2 and so on, keeping at
// most max-file files in total; with max-file 1 the file is truncated in
// place. Rotation happens between records, so each file starts and ends on a
// record boundary and the files concatenated from the oldest (<path>.N) to
// the newest (<path>) form a valid log.
//
// # Damage
//
// A crash can leave a truncated last line. Readers skip lines that do not
// parse and lines that are not terminated by a newline; the writer appends a
// newline when it reopens a file whose last line is unterminated, so that new
// records are not glued to the damaged one.
package logs

import (
	"bytes"
	"encoding/binary"
	"time"
)

// MaxLineSize is the largest content stored in one record; longer lines are
// split into P records of this size.
const MaxLineSize = 16 * 1024

// Stream names.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Record tags.
const (
	TagFull    = 'F'
	TagPartial = 'P'
)

// timeLayout is the layout of the timestamps the writer emits: RFC3339Nano
// with a fixed number of fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// tsLen is the length of a timestamp in timeLayout for a UTC time.
const tsLen = len("2006-01-02T15:04:05.000000000Z")

// appendTimestamp appends t in timeLayout, in UTC.
func appendTimestamp(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, timeLayout)
}

// streamIndex values.
const (
	idxStdout = 0
	idxStderr = 1
)

// record is a parsed log line; its slices alias the line.
type record struct {
	ts      []byte
	stream  int // idxStdout or idxStderr
	partial bool
	content []byte
}

// parseRecord parses a line without its trailing newline. It reports false
// for a line that is not a valid record.
func parseRecord(line []byte, r *record) bool {
	sp := bytes.IndexByte(line, ' ')
	// The shortest RFC 3339 timestamp is 20 bytes (2006-01-02T15:04:05Z).
	if sp < 20 {
		return false
	}
	r.ts = line[:sp]
	rest := line[sp+1:]
	// "stdout F" or "stderr F", then a space or the end of the line.
	if len(rest) < 8 || rest[6] != ' ' || rest[0] != 's' || rest[1] != 't' || rest[2] != 'd' {
		return false
	}
	switch string(rest[3:6]) {
	case "out":
		r.stream = idxStdout
	case "err":
		r.stream = idxStderr
	default:
		return false
	}
	switch rest[7] {
	case TagFull:
		r.partial = false
	case TagPartial:
		r.partial = true
	default:
		return false
	}
	switch {
	case len(rest) == 8:
		r.content = rest[8:]
	case rest[8] == ' ':
		r.content = rest[9:]
	default:
		return false
	}
	return true
}

// headerLen is the length of the header of a record written by Writer:
// timestamp, stream and tag, each followed by a space.
const headerLen = tsLen + len(" stdout F ")

// parseHeaderFast parses the header of a record written by Writer (fixed
// width) at the start of b, setting all fields of r but content. It reports
// false when b does not start with such a header; parseRecord handles the
// other cases.
func parseHeaderFast(b []byte, r *record) bool {
	if len(b) <= headerLen {
		return false
	}
	switch binary.LittleEndian.Uint64(b[tsLen : tsLen+8]) {
	case hdrStdout:
		r.stream = idxStdout
	case hdrStderr:
		r.stream = idxStderr
	default:
		return false
	}
	if b[tsLen-1] != 'Z' || b[10] != 'T' || b[headerLen-1] != ' ' {
		return false
	}
	switch b[headerLen-2] {
	case TagFull:
		r.partial = false
	case TagPartial:
		r.partial = true
	default:
		return false
	}
	r.ts = b[:tsLen]
	return true
}

// hdrStdout and hdrStderr are " stdout " and " stderr " as little-endian
// 64-bit words.
var (
	hdrStdout = binary.LittleEndian.Uint64([]byte(" stdout "))
	hdrStderr = binary.LittleEndian.Uint64([]byte(" stderr "))
)

// parseTimestamp returns the Unix time in nanoseconds of an RFC 3339
// timestamp. The layout the writer emits is parsed without allocating; other
// RFC 3339 forms go through time.Parse.
func parseTimestamp(b []byte) (int64, bool) {
	if ns, ok := parseUTCFast(b); ok {
		return ns, true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}

// parseUTCFast parses YYYY-MM-DDTHH:MM:SS[.fraction]Z.
func parseUTCFast(b []byte) (int64, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	var nsec int
	frac := b[19 : len(b)-1]
	if len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return 0, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return 0, false
		}
		for i := len(frac) - 1; i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	days := daysFromCivil(year, month, day)
	return (((days*24+int64(hour))*60+int64(minute))*60+int64(sec))*1e9 + int64(nsec), true
}

// daysFromCivil returns the number of days since 1970-01-01 of a proleptic
// Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
