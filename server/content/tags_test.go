package content

import (
	"slices"
	"testing"
)

func TestFindMentions(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"remote", "hi @alice@example.com!", []string{"alice@example.com"}},
		{"bare local", "hi @owner, how are you", []string{"owner"}},
		{"host lower-cased, user kept", "@Alice@Example.COM", []string{"Alice@example.com"}},
		{"email ignored", "write to alice@example.com", nil},
		{"mailto link ignored", "<mailto:bob@example.com>", nil},
		{"in code span", "try `@alice@example.com` now", nil},
		{"in code block", "```\n@alice@example.com\n```", nil},
		{"in indented code", "    @alice@example.com", nil},
		{"in URL", "see https://example.com/@alice@example.com and example.com/@bob", nil},
		{"in link text", "[@alice@example.com](https://example.com/)", nil},
		{"trailing punctuation", "@alice@example.com. and (@bob@host.test) @carol.", []string{"alice@example.com", "bob@host.test", "carol"}},
		{"duplicates", "@alice@example.com @Alice@EXAMPLE.com @alice@example.com", []string{"alice@example.com"}},
		{"order kept", "@b@x.test @a@x.test", []string{"b@x.test", "a@x.test"}},
		{"dots and dashes in user", "@first.last-name@host.test", []string{"first.last-name@host.test"}},
		{"underscores", "@a_b@x.test and @c_d@x.test", []string{"a_b@x.test", "c_d@x.test"}},
		{"emphasis around", "*@alice@example.com*", []string{"alice@example.com"}},
		{"after equals", "a=@alice@example.com", nil},
		{"lone at", "@ alone, @. and @-", nil},
		{"double at is a mention, as in Mastodon", "@@x", []string{"x"}},
		{"unicode host", "@u@bücher.example", []string{"u@bücher.example"}},
		{"newline separated", "hi\n@alice@example.com", []string{"alice@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindMentions(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("FindMentions(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFindHashtags(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"simple", "I like #go", []string{"go"}},
		{"several in order", "#b then #a", []string{"b", "a"}},
		{"unicode", "#café and #日本語 and #Straße", []string{"café", "日本語", "Straße"}},
		{"digits only ignored", "#123 and #2024", nil},
		{"digits with letter", "#2024election", []string{"2024election"}},
		{"underscore", "#snake_case", []string{"snake_case"}},
		{"trailing punctuation", "#tag. #other, #third! (#fourth)", []string{"tag", "other", "third", "fourth"}},
		{"case-insensitive dedupe keeps first", "#Go #go #GO", []string{"Go"}},
		{"URL fragment", "see https://example.com/page#section and example.com/#top", nil},
		{"bare URL fragment", "example.com/page#section", nil},
		{"word before", "C#sharp issue#12", nil},
		{"code span", "`#notatag`", nil},
		{"code block", "```\n#notatag\n```", nil},
		{"link text", "[#notatag](https://example.com/)", nil},
		{"heading is not a tag", "# Heading", nil},
		{"tag in heading", "# Heading #tag", []string{"tag"}},
		{"start of line", "#first", []string{"first"}},
		{"after paren", "x)#no", nil},
		{"combining mark", "#cafe\u0301", []string{"cafe\u0301"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindHashtags(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("FindHashtags(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
