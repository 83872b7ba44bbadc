package activitypub

import (
	"encoding/json"
	"sort"
	"time"
)

// Activity is an ActivityStreams activity: Create, Update, Delete, Follow, Accept, Reject, Undo,
// Like, Announce, Block, Move, Flag, Add, Remove, and the EmojiReact that honk and Misskey send.
type Activity struct {
	Context any    `json:"@context,omitempty"`
	ID      string `json:"id"`
	// Type is the first type; JSON-LD allows an array.
	Type string `json:"type"`
	// Actor is who acts. When a peer sends an array (Pleroma, PeerTube), the first Person wins.
	Actor  Ref `json:"actor,omitzero"`
	Object Ref `json:"object,omitzero"`
	// Target is the destination of Move and of Add/Remove.
	Target     Ref    `json:"target,omitzero"`
	Origin     Ref    `json:"origin,omitzero"`
	Instrument Ref    `json:"instrument,omitzero"`
	To         IRIs   `json:"to,omitempty"`
	CC         IRIs   `json:"cc,omitempty"`
	BTo        IRIs   `json:"bto,omitempty"`
	BCC        IRIs   `json:"bcc,omitempty"`
	Audience   IRIs   `json:"audience,omitempty"`
	Published  string `json:"published,omitempty"`
	Updated    string `json:"updated,omitempty"`
	// Content holds the emoji of an EmojiReact (honk) or a Misskey reaction Like.
	Content string `json:"content,omitempty"`
	// MisskeyReaction is Misskey's reaction emoji on a Like.
	MisskeyReaction string `json:"_misskey_reaction,omitempty"`
	Summary         string `json:"summary,omitempty"`
	// Tag carries the custom Emoji of a reaction.
	Tag []Tag `json:"tag,omitempty"`
	// Signature is a Linked Data Signature (RsaSignature2017) as received, if any.
	Signature json.RawMessage `json:"signature,omitempty"`
	// Proof is a FEP-8b32 Object Integrity Proof as received, if any.
	Proof json.RawMessage `json:"proof,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler, tolerating the shapes peers send.
func (a *Activity) UnmarshalJSON(b []byte) error {
	type plain Activity
	aux := struct {
		*plain
		Type  flexString      `json:"type"`
		Actor json.RawMessage `json:"actor"`
		Tag   list[Tag]       `json:"tag"`
	}{plain: (*plain)(a)}
	if err := unmarshalTolerant(b, &aux); err != nil {
		return err
	}
	a.Type = string(aux.Type)
	a.Actor = refFrom(aux.Actor, isPerson)
	a.Tag = capTags(aux.Tag)
	return nil
}

// PublishedTime returns the parsed published time, or the zero time.
func (a *Activity) PublishedTime() time.Time { return parseTime(a.Published) }

// Object is a post or other non-actor object: Note, Article, Question, Page, Image, Video, Audio,
// Event, Tombstone, and poll options.
type Object struct {
	Context any    `json:"@context,omitempty"`
	ID      string `json:"id,omitempty"`
	// Type is the first type; JSON-LD allows an array.
	Type string `json:"type"`
	// AttributedTo is the author. For arrays (PeerTube: a Person and a Group) the first Person wins.
	AttributedTo Ref               `json:"attributedTo,omitzero"`
	Summary      string            `json:"summary,omitempty"`
	Content      string            `json:"content,omitempty"`
	ContentMap   map[string]string `json:"contentMap,omitempty"`
	// MisskeyContent is Misskey's MFM source of the content.
	MisskeyContent string  `json:"_misskey_content,omitempty"`
	Source         *Source `json:"source,omitempty"`
	// Name is the title of an Article or a poll option's text.
	Name      string `json:"name,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
	InReplyTo Ref    `json:"inReplyTo,omitzero"`
	Published string `json:"published,omitempty"`
	Updated   string `json:"updated,omitempty"`
	// URL is the human-facing page: a string, a Link, or an array of those.
	URL        URLs         `json:"url,omitempty"`
	To         IRIs         `json:"to,omitempty"`
	CC         IRIs         `json:"cc,omitempty"`
	BTo        IRIs         `json:"bto,omitempty"`
	BCC        IRIs         `json:"bcc,omitempty"`
	Audience   IRIs         `json:"audience,omitempty"`
	Tag        []Tag        `json:"tag,omitempty"`
	Attachment []Attachment `json:"attachment,omitempty"`
	// Replies is the replies collection; on a poll option it carries the vote count (see
	// Ref.TotalItems).
	Replies Ref `json:"replies,omitzero"`
	// Conversation is the OStatus thread id Mastodon still sends.
	Conversation string `json:"conversation,omitempty"`
	// ContextIRI is the "context" property (the thread), not the JSON-LD "@context".
	ContextIRI string `json:"context,omitempty"`
	// OneOf and AnyOf are a Question's single- and multiple-choice options.
	OneOf       []Object `json:"oneOf,omitempty"`
	AnyOf       []Object `json:"anyOf,omitempty"`
	EndTime     string   `json:"endTime,omitempty"`
	Closed      string   `json:"closed,omitempty"`
	VotersCount int      `json:"votersCount,omitempty"`
	// Quote is the FEP-044f quoted post; QuoteURL, QuoteURI and MisskeyQuote are the older
	// Misskey and Fedibird spellings. QuoteIRI picks one.
	Quote              string `json:"quote,omitempty"`
	QuoteURL           string `json:"quoteUrl,omitempty"`
	QuoteURI           string `json:"quoteUri,omitempty"`
	MisskeyQuote       string `json:"_misskey_quote,omitempty"`
	QuoteAuthorization string `json:"quoteAuthorization,omitempty"`
	// FormerType and Deleted describe a Tombstone.
	FormerType string `json:"formerType,omitempty"`
	Deleted    string `json:"deleted,omitempty"`
}

// Note is the Object Roost builds for its own posts.
type Note = Object

// UnmarshalJSON implements json.Unmarshaler, tolerating the shapes peers send.
func (o *Object) UnmarshalJSON(b []byte) error {
	type plain Object
	aux := struct {
		*plain
		Type               flexString       `json:"type"`
		AttributedTo       json.RawMessage  `json:"attributedTo"`
		Tag                list[Tag]        `json:"tag"`
		Attachment         list[Attachment] `json:"attachment"`
		OneOf              list[pollOption] `json:"oneOf"`
		AnyOf              list[pollOption] `json:"anyOf"`
		Quote              flexString       `json:"quote"`
		QuoteURL           flexString       `json:"quoteUrl"`
		QuoteURI           flexString       `json:"quoteUri"`
		MisskeyQuote       flexString       `json:"_misskey_quote"`
		QuoteAuthorization flexString       `json:"quoteAuthorization"`
		ContextIRI         flexString       `json:"context"`
		Conversation       flexString       `json:"conversation"`
	}{plain: (*plain)(o)}
	if err := unmarshalTolerant(b, &aux); err != nil {
		return err
	}
	o.Type = string(aux.Type)
	o.AttributedTo = refFrom(aux.AttributedTo, isPerson)
	o.Tag = capTags(aux.Tag)
	o.Attachment = capList(aux.Attachment, MaxAttachments)
	o.OneOf = options(aux.OneOf)
	o.AnyOf = options(aux.AnyOf)
	o.Quote = string(aux.Quote)
	o.QuoteURL = string(aux.QuoteURL)
	o.QuoteURI = string(aux.QuoteURI)
	o.MisskeyQuote = string(aux.MisskeyQuote)
	o.QuoteAuthorization = string(aux.QuoteAuthorization)
	o.ContextIRI = string(aux.ContextIRI)
	o.Conversation = string(aux.Conversation)
	return nil
}

// pollOption is how a Question's option decodes. Options never hold options of their own, so
// decoding them flat keeps a deeply nested oneOf from being re-parsed at every level.
type pollOption struct {
	Type    flexString        `json:"type"`
	Name    string            `json:"name"`
	NameMap map[string]string `json:"nameMap"`
	Replies Ref               `json:"replies"`
}

func options(l list[pollOption]) []Object {
	if l == nil {
		return nil
	}
	l = capList(l, MaxPollOptions)
	out := make([]Object, len(l))
	for i, p := range l {
		name := p.Name
		if name == "" {
			name = (&Object{ContentMap: p.NameMap}).HTML()
		}
		out[i] = Object{Type: string(p.Type), Name: name, Replies: p.Replies}
	}
	return out
}

// HTML returns the content, or when it is empty the contentMap entry for "en", or else the entry
// with the smallest language tag (so the choice is stable).
func (o *Object) HTML() string {
	if o.Content != "" || len(o.ContentMap) == 0 {
		return o.Content
	}
	if s, ok := o.ContentMap["en"]; ok {
		return s
	}
	keys := make([]string, 0, len(o.ContentMap))
	for k := range o.ContentMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return o.ContentMap[keys[0]]
}

// QuoteIRI returns the quoted post's IRI from whichever quote property the sender used.
func (o *Object) QuoteIRI() string {
	for _, s := range []string{o.Quote, o.QuoteURL, o.QuoteURI, o.MisskeyQuote} {
		if s != "" {
			return s
		}
	}
	return ""
}

// PublishedTime returns the parsed published time, or the zero time when absent or malformed.
func (o *Object) PublishedTime() time.Time { return parseTime(o.Published) }

// UpdatedTime returns the parsed updated time, or the zero time.
func (o *Object) UpdatedTime() time.Time { return parseTime(o.Updated) }

// Source is the source text a post was written in (Markdown, MFM, plain text).
type Source struct {
	Content   string `json:"content"`
	MediaType string `json:"mediaType,omitempty"`
}

// Tag is an entry of "tag": a Mention, a Hashtag or a custom Emoji.
type Tag struct {
	Type string `json:"type"`
	// ID identifies an Emoji.
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Href string `json:"href,omitempty"`
	// Icon is an Emoji's image.
	Icon    *Image `json:"icon,omitempty"`
	Updated string `json:"updated,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler, tolerating the shapes peers send.
func (t *Tag) UnmarshalJSON(b []byte) error {
	type plain Tag
	aux := struct {
		*plain
		Type flexString  `json:"type"`
		ID   flexString  `json:"id"`
		Href flexString  `json:"href"`
		Icon list[Image] `json:"icon"`
	}{plain: (*plain)(t)}
	if err := unmarshalTolerant(b, &aux); err != nil {
		return err
	}
	t.Type, t.ID, t.Href = string(aux.Type), string(aux.ID), string(aux.Href)
	t.Icon = firstOf(aux.Icon)
	return nil
}

// Attachment is a media attachment of a post (Document, Image, Video, Audio, Link) or a profile
// field of an actor (PropertyValue with Name and Value).
type Attachment struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	// URL is the media file; a Link, an array or a Link's href decode to its first address.
	URL        string    `json:"url,omitempty"`
	Name       string    `json:"name,omitempty"`
	Summary    string    `json:"summary,omitempty"`
	Blurhash   string    `json:"blurhash,omitempty"`
	Width      int       `json:"width,omitempty"`
	Height     int       `json:"height,omitempty"`
	FocalPoint []float64 `json:"focalPoint,omitempty"`
	// Value is a PropertyValue's value (HTML).
	Value string `json:"value,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler, tolerating the shapes peers send.
func (at *Attachment) UnmarshalJSON(b []byte) error {
	type plain Attachment
	aux := struct {
		*plain
		Type flexString `json:"type"`
		URL  flexString `json:"url"`
		Href flexString `json:"href"`
	}{plain: (*plain)(at)}
	if err := unmarshalTolerant(b, &aux); err != nil {
		return err
	}
	at.Type, at.URL = string(aux.Type), string(aux.URL)
	if at.URL == "" {
		at.URL = string(aux.Href)
	}
	return nil
}

// Image is an actor's icon (avatar) or image (header), or an Emoji's icon.
type Image struct {
	Type      string `json:"type,omitempty"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url"`
	Name      string `json:"name,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler, tolerating the shapes peers send.
func (im *Image) UnmarshalJSON(b []byte) error {
	type plain Image
	aux := struct {
		*plain
		Type flexString `json:"type"`
		URL  flexString `json:"url"`
		Href flexString `json:"href"`
	}{plain: (*plain)(im)}
	if err := unmarshalTolerant(b, &aux); err != nil {
		return err
	}
	im.Type, im.URL = string(aux.Type), string(aux.URL)
	if im.URL == "" {
		im.URL = string(aux.Href)
	}
	return nil
}

// Actor is an actor document: Person, Service, Application, Group or Organization.
type Actor struct {
	Context                   any          `json:"@context,omitempty"`
	ID                        string       `json:"id"`
	Type                      string       `json:"type"`
	PreferredUsername         string       `json:"preferredUsername,omitempty"`
	Name                      string       `json:"name,omitempty"`
	Summary                   string       `json:"summary,omitempty"`
	URL                       URLs         `json:"url,omitempty"`
	Inbox                     string       `json:"inbox"`
	Outbox                    string       `json:"outbox,omitempty"`
	Followers                 string       `json:"followers,omitempty"`
	Following                 string       `json:"following,omitempty"`
	Featured                  string       `json:"featured,omitempty"`
	FeaturedTags              string       `json:"featuredTags,omitempty"`
	Endpoints                 *Endpoints   `json:"endpoints,omitempty"`
	PublicKey                 PublicKeys   `json:"publicKey,omitempty"`
	Icon                      *Image       `json:"icon,omitempty"`
	Image                     *Image       `json:"image,omitempty"`
	ManuallyApprovesFollowers bool         `json:"manuallyApprovesFollowers"`
	Discoverable              bool         `json:"discoverable"`
	Indexable                 bool         `json:"indexable"`
	Published                 string       `json:"published,omitempty"`
	Attachment                []Attachment `json:"attachment,omitempty"`
	Tag                       []Tag        `json:"tag,omitempty"`
	AlsoKnownAs               IRIs         `json:"alsoKnownAs,omitempty"`
	MovedTo                   string       `json:"movedTo,omitempty"`
	AttributionDomains        IRIs         `json:"attributionDomains,omitempty"`
	Memorial                  bool         `json:"memorial,omitempty"`
	Suspended                 bool         `json:"suspended,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler, tolerating the shapes peers send.
func (a *Actor) UnmarshalJSON(b []byte) error {
	type plain Actor
	aux := struct {
		*plain
		Type         flexString       `json:"type"`
		Inbox        flexString       `json:"inbox"`
		Outbox       flexString       `json:"outbox"`
		Followers    flexString       `json:"followers"`
		Following    flexString       `json:"following"`
		Featured     flexString       `json:"featured"`
		FeaturedTags flexString       `json:"featuredTags"`
		MovedTo      flexString       `json:"movedTo"`
		Icon         list[Image]      `json:"icon"`
		Image        list[Image]      `json:"image"`
		Attachment   list[Attachment] `json:"attachment"`
		Tag          list[Tag]        `json:"tag"`
	}{plain: (*plain)(a)}
	if err := unmarshalTolerant(b, &aux); err != nil {
		return err
	}
	a.Type, a.Inbox, a.Outbox = string(aux.Type), string(aux.Inbox), string(aux.Outbox)
	a.Followers, a.Following = string(aux.Followers), string(aux.Following)
	a.Featured, a.FeaturedTags = string(aux.Featured), string(aux.FeaturedTags)
	a.MovedTo = string(aux.MovedTo)
	a.Icon, a.Image = firstOf(aux.Icon), firstOf(aux.Image)
	a.Attachment = capList(aux.Attachment, MaxProfileFields)
	a.Tag = capTags(aux.Tag)
	a.AlsoKnownAs = capList(a.AlsoKnownAs, MaxAlsoKnownAs)
	return nil
}

// SharedInbox returns endpoints.sharedInbox, or "".
func (a *Actor) SharedInbox() string {
	if a.Endpoints == nil {
		return ""
	}
	return a.Endpoints.SharedInbox
}

// Endpoints holds an actor's endpoints.
type Endpoints struct {
	SharedInbox string `json:"sharedInbox,omitempty"`
}

// PublicKey is an actor's RSA key, as Mastodon publishes it.
type PublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// PublicKeys is an actor's publicKey property: one object or an array of them.
// It encodes a single key as an object, as Mastodon does.
type PublicKeys []PublicKey

// UnmarshalJSON implements json.Unmarshaler.
func (k *PublicKeys) UnmarshalJSON(b []byte) error {
	var l list[PublicKey]
	l.UnmarshalJSON(b)
	*k = PublicKeys(l)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (k PublicKeys) MarshalJSON() ([]byte, error) {
	if len(k) == 1 {
		return json.Marshal(k[0])
	}
	return json.Marshal([]PublicKey(k))
}

// Find returns the key whose id is keyID.
func (k PublicKeys) Find(keyID string) (PublicKey, bool) {
	for _, pk := range k {
		if pk.ID == keyID {
			return pk, true
		}
	}
	return PublicKey{}, false
}

// Collection is an unordered collection Roost serves (followers, following, replies).
type Collection struct {
	Context    any    `json:"@context,omitempty"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	TotalItems int    `json:"totalItems"`
	// First is a page IRI or an embedded *CollectionPage.
	First any    `json:"first,omitempty"`
	Last  string `json:"last,omitempty"`
	Items []any  `json:"items,omitempty"`
}

// CollectionPage is a page of a Collection.
type CollectionPage struct {
	Context any    `json:"@context,omitempty"`
	ID      string `json:"id"`
	Type    string `json:"type"`
	PartOf  string `json:"partOf,omitempty"`
	Next    string `json:"next,omitempty"`
	Prev    string `json:"prev,omitempty"`
	Items   []any  `json:"items"`
}

// OrderedCollection is an ordered collection Roost serves (outbox, featured, followers).
type OrderedCollection struct {
	Context    any    `json:"@context,omitempty"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	TotalItems int    `json:"totalItems"`
	// First is a page IRI or an embedded *OrderedCollectionPage.
	First        any    `json:"first,omitempty"`
	Last         string `json:"last,omitempty"`
	OrderedItems []any  `json:"orderedItems,omitempty"`
}

// OrderedCollectionPage is a page of an OrderedCollection.
type OrderedCollectionPage struct {
	Context      any    `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	TotalItems   int    `json:"totalItems,omitempty"`
	PartOf       string `json:"partOf,omitempty"`
	Next         string `json:"next,omitempty"`
	Prev         string `json:"prev,omitempty"`
	OrderedItems []any  `json:"orderedItems"`
}

// RemoteCollection is a collection or collection page fetched from a peer, of any of the four
// collection types. Items holds items or orderedItems, as IRIs or embedded objects.
type RemoteCollection struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	TotalItems int    `json:"totalItems"`
	First      Ref    `json:"first,omitzero"`
	Next       Ref    `json:"next,omitzero"`
	PartOf     string `json:"partOf,omitempty"`
	Items      []Ref  `json:"items,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler, tolerating the shapes peers send.
func (c *RemoteCollection) UnmarshalJSON(b []byte) error {
	type plain RemoteCollection
	aux := struct {
		*plain
		Type         flexString        `json:"type"`
		PartOf       flexString        `json:"partOf"`
		Items        []json.RawMessage `json:"items"`
		OrderedItems []json.RawMessage `json:"orderedItems"`
	}{plain: (*plain)(c)}
	if err := unmarshalTolerant(b, &aux); err != nil {
		return err
	}
	c.Type, c.PartOf = string(aux.Type), string(aux.PartOf)
	c.Items = nil
	for _, raw := range append(aux.OrderedItems, aux.Items...) {
		if r := refFrom(raw, nil); !r.IsZero() {
			c.Items = append(c.Items, r)
		}
	}
	return nil
}

func isPerson(t string) bool { return t == "Person" }

func firstOf[T any](l list[T]) *T {
	if len(l) == 0 {
		return nil
	}
	return &l[0]
}

func capList[S ~[]E, E any](s S, n int) S {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func capTags(l list[Tag]) []Tag { return capList([]Tag(l), MaxTags) }

// parseTime parses an xsd:dateTime as peers write it: RFC 3339 with or without fractional
// seconds, and tolerates a missing zone (read as UTC).
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
