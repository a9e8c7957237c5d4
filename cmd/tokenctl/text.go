package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// Text a server sends (token names and descriptions, user names, error
// messages, key ids) reaches the user's terminal. A terminal obeys control
// characters: "\x1b[2J" clears the screen, "\x1b]0;owned\a" retitles the
// window, some escape sequences make older terminals type text back into the
// shell, and a tab or newline fakes a column or a row of a table. Every such
// string goes through safe before tokenctl prints it, and every table
// through table.

// safe returns s with every character a terminal could act on written as a
// Go escape: C0 controls including tab, newline and ESC (\x1b), DEL (\x7f),
// C1 controls U+0080–U+009F (\u009b, which some terminals read as ESC [),
// the bidirectional controls that reorder what is shown (\u202e), and bytes
// that are not UTF-8 (\xff, which a Latin-1 terminal may read as C1).
// Backslashes are not escaped: names such as DOMAIN\user stay readable.
func safe(s string) string { return escape(s, false) }

// safeLines is safe for text of several lines: newlines are kept, everything
// else is escaped.
func safeLines(s string) string { return escape(s, true) }

func escape(s string, keepNewlines bool) string {
	if !needsEscape(s, keepNewlines) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string, keepNewlines bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(keepNewlines && c == '\n') || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune reports the non-ASCII runes a terminal acts on: C1 controls and
// bidirectional embeddings, overrides and isolates.
func unsafeRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// table is tokenctl's one table writer: aligned columns, every cell passed
// through safe, so a cell can neither hold an escape sequence nor add a
// column or a row.
type table struct{ tw *tabwriter.Writer }

// newTable starts a table on w with a header row (none if header is empty).
func newTable(w io.Writer, header ...any) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

// row adds one row; each cell is printed with fmt.Sprint, then made safe.
func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			_, _ = io.WriteString(t.tw, "\t")
		}
		_, _ = io.WriteString(t.tw, safe(fmt.Sprint(c)))
	}
	_, _ = io.WriteString(t.tw, "\n")
}

// flush writes the table out.
func (t *table) flush() error { return t.tw.Flush() }

// jsonSafe escapes, inside the strings of an encoded JSON document, the
// characters encoding/json leaves raw but a terminal acts on (DEL, C1, bidi
// controls), as \u escapes that decode to the same text. JSON allows these
// characters only inside strings, so the document's meaning is unchanged.
func jsonSafe(doc []byte) []byte {
	if !bytes.ContainsFunc(doc, func(r rune) bool { return r == 0x7f || unsafeRune(r) }) {
		return doc
	}
	var b bytes.Buffer
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRune(doc[i:])
		if r == 0x7f || unsafeRune(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.Write(doc[i : i+size])
		}
		i += size
	}
	return b.Bytes()
}
