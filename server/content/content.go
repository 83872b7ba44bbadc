// Package content turns the owner's Markdown into post HTML, finds mentions
// and hashtags, and sanitizes HTML that comes from other servers.
//
// Every string of HTML that leaves this package has the type [HTML] and has
// passed through a bluemonday allow-list, so templ.Raw is only ever used on
// that type and the places that do it can be found with grep.
package content

// HTML is HTML that came out of this package's sanitizer or renderer and is
// safe to insert into a page (templ.Raw is only ever used on this type).
type HTML string

// String returns the HTML as a plain string, for JSON fields and storage.
func (h HTML) String() string { return string(h) }
