// Package view holds the rows Docker's list commands print (ps, images,
// stats): values with Docker's field names, already rendered the way Docker
// renders them ("Up 3 seconds", "127.0.0.1:32768->80/tcp", "1.2MB"), and the
// pure rules of their --filter flags. It imports only the standard library
// and pkg/api, so every rendering is unit-tested without containerd.
package view

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// HumanDuration is Docker's approximation of a duration ("Less than a
// second", "About a minute", "3 hours", "2 weeks"), as go-units renders it.
func HumanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < 1 {
		return "Less than a second"
	} else if seconds == 1 {
		return "1 second"
	} else if seconds < 60 {
		return fmt.Sprintf("%d seconds", seconds)
	} else if minutes := int(d.Minutes()); minutes == 1 {
		return "About a minute"
	} else if minutes < 60 {
		return fmt.Sprintf("%d minutes", minutes)
	} else if hours := int(d.Hours() + 0.5); hours == 1 {
		return "About an hour"
	} else if hours < 48 {
		return fmt.Sprintf("%d hours", hours)
	} else if hours < 24*7*2 {
		return fmt.Sprintf("%d days", hours/24)
	} else if hours < 24*30*2 {
		return fmt.Sprintf("%d weeks", hours/24/7)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%d months", hours/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

// Ago is "<HumanDuration> ago" of t seen at now ("2 minutes ago").
func Ago(t, now time.Time) string { return HumanDuration(now.Sub(t)) + " ago" }

var (
	decimalUnits = []string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	binaryUnits  = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
)

func scale(size, base float64, units []string) (float64, string) {
	i := 0
	for size >= base && i < len(units)-1 {
		size /= base
		i++
	}
	return size, units[i]
}

// HumanSize is a size in decimal units with 3 significant digits, as
// Docker's images, ps -s and stats NET I/O / BLOCK I/O show it ("4.26MB").
func HumanSize(n int64) string {
	size, unit := scale(float64(n), 1000, decimalUnits)
	return fmt.Sprintf("%.*g%s", 3, size, unit)
}

// BytesSize is a size in binary units with 4 significant digits, as Docker's
// stats MEM USAGE shows it ("1.672MiB").
func BytesSize(n uint64) string {
	size, unit := scale(float64(n), 1024, binaryUnits)
	return fmt.Sprintf("%.4g%s", size, unit)
}

// Ellipsis shortens s to at most n characters, the last one "…", as Docker
// truncates COMMAND.
func Ellipsis(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}

// ShortID is the 12-character form of an ID (a "sha256:" prefix dropped).
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// CreatedAt renders a creation time as Docker's .CreatedAt does:
// "2024-01-02 15:04:05 +0000 UTC" (Go's time.String of the local time,
// whole seconds).
func CreatedAt(t time.Time) string {
	return time.Unix(t.Unix(), 0).String()
}
