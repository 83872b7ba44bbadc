package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"roost/server"
	"roost/server/app"
	"roost/server/auth"
	"roost/server/datadir"
	"roost/store"
	"roost/store/access"
)

// ownerCommand runs one of the owner's commands against the database the server uses. The
// server's address comes from the stored account, so the commands need no -domain.
func ownerCommand(ctx context.Context, env Env, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	e := envFlags{fs, env.Getenv}
	dataFlag := e.str("data", "ROOST_DATA", "data", "folder for the database")
	allowPrivate := e.str("allow-private", "ROOST_ALLOW_PRIVATE", "", "address ranges outgoing requests may reach although private")
	var in app.PostInput
	if cmd == "post" {
		fs.StringVar(&in.Visibility, "visibility", "", "public, unlisted, followers or direct (default: a reply's parent's, else public)")
		fs.StringVar(&in.Summary, "cw", "", "content warning")
		fs.StringVar(&in.InReplyTo, "reply-to", "", "ID or URL of the post this replies to")
		fs.StringVar(&in.Language, "lang", "", "language code, e.g. en")
	}
	var profile profileFlags
	if cmd == "profile" {
		profile.register(fs)
	}
	var importKind string
	if cmd == "import" {
		fs.StringVar(&importKind, "kind", "", "the CSV's list: following, blocks, mutes, domain_blocks, bookmarks or lists (default: told from the file)")
	}
	fromStdin := false
	if cmd == "passwd" {
		fs.BoolVar(&fromStdin, "stdin", false, "read the new password from standard input")
	}
	rest, err := parseArgs(fs, args)
	if err != nil {
		return ErrUsage
	}

	data := datadir.Dir(*dataFlag)
	st, err := openOwnerStore(ctx, data)
	if err != nil {
		return err
	}
	defer st.Close()
	owner, err := st.Owner(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account in %s yet: run roost serve first", data)
	}
	if err != nil {
		return err
	}
	u, err := url.Parse(owner.Account.IRI)
	if err != nil {
		return err
	}
	cfg := server.Config{Domain: u.Host, Scheme: u.Scheme, HandleDomain: owner.Account.Host, Version: env.Version,
		MediaDir: data.Media(), CacheDir: data.Cache()}
	if *allowPrivate == "" && u.Scheme == "http" {
		*allowPrivate = "127.0.0.0/8,::1/128"
	}
	if cfg.AllowPrivate, err = parsePrefixes(*allowPrivate); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(ctx, cfg, st, log)
	if err != nil {
		return err
	}

	if srv.Transfer().Deleting() {
		return fmt.Errorf("%s: this account was deleted", cmd)
	}
	need := func(n int, what string) error {
		if len(rest) != n {
			return fmt.Errorf("%s: %w: roost %s %s", cmd, ErrUsage, cmd, what)
		}
		return nil
	}
	switch cmd {
	case "passwd":
		if err := need(0, "[-stdin]"); err != nil {
			return err
		}
		password := auth.NewPassword()
		if fromStdin {
			line, err := bufio.NewReader(env.Stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			password = strings.TrimRight(line, "\r\n")
		}
		if err := srv.SetPassword(ctx, password, ""); err != nil {
			return fmt.Errorf("passwd: %w", err)
		}
		if fromStdin {
			fmt.Fprintln(env.Stdout, "Password changed; every session and app was signed out (apps must be authorized again).")
		} else {
			fmt.Fprintf(env.Stdout, "New password (shown only this once): %s\nEvery session and app was signed out (apps must be authorized again).\n", password)
		}
	case "two-factor":
		if len(rest) != 1 || rest[0] != "off" {
			return fmt.Errorf("%s: %w: roost two-factor off", cmd, ErrUsage)
		}
		if err := access.New(st).TurnOffSecondFactor(ctx); err != nil {
			return fmt.Errorf("two-factor: %w", err)
		}
		fmt.Fprintln(env.Stdout, "Two-step sign-in is off (authenticator app codes, passkeys and recovery codes): the password alone signs in. Turn it on again under Security.")
	case "profile":
		if err := need(0, "[flags]"); err != nil {
			return err
		}
		in, err := profile.input(fs)
		if err != nil {
			return err
		}
		a := srv.Owner()
		if in != nil {
			if a, err = srv.App().UpdateProfile(ctx, *in); err != nil {
				return err
			}
		}
		printProfile(env.Stdout, a)
	case "post":
		if len(rest) == 0 {
			return fmt.Errorf("post: %w: roost post [flags] TEXT", ErrUsage)
		}
		in.Text = strings.Join(rest, " ")
		p, err := srv.App().Post(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Posted %d: %s\n", p.ID, p.URL)
	case "pin", "unpin":
		if err := need(1, "ID|URL"); err != nil {
			return err
		}
		if _, err := srv.App().Pin(ctx, rest[0], cmd == "pin"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Done: %s %s\n", cmd, rest[0])
	case "delete":
		if err := need(1, "ID|URL"); err != nil {
			return err
		}
		if err := srv.App().DeletePost(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "Deleted.")
	case "relay":
		return relayCommand(ctx, env, srv.App(), rest)
	case "follow", "unfollow":
		if err := need(1, "@user@host|URL"); err != nil {
			return err
		}
		act := srv.App().Follow
		done := "Follow request sent to"
		if cmd == "unfollow" {
			act, done = srv.App().Unfollow, "Unfollowed"
		}
		a, err := act(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s @%s (%s)\n", done, a.Handle(), a.IRI)
	case "move":
		if err := need(1, "@you@elsewhere|URL|''"); err != nil {
			return err
		}
		a, err := srv.App().MoveTo(ctx, rest[0])
		if err != nil {
			return err
		}
		if a.MovedTo == "" {
			fmt.Fprintln(env.Stdout, "This account no longer points to another.")
		} else {
			fmt.Fprintf(env.Stdout, "Moved to %s: your followers' servers are being told.\n", a.MovedTo)
		}
	case "import":
		if err := need(1, "[-kind KIND] FILE.csv|FILE.zip"); err != nil {
			return err
		}
		return importFile(ctx, env, srv.Transfer(), rest[0], importKind)
	case "export":
		if err := need(1, "FILE.zip"); err != nil {
			return err
		}
		return exportFile(ctx, env, srv.Transfer(), rest[0])
	case "delete-account":
		if err := need(0, ""); err != nil {
			return err
		}
		return deleteAccount(ctx, env, srv.Transfer(), srv.Owner())
	case "like", "unlike", "boost", "unboost":
		if err := need(1, "URL"); err != nil {
			return err
		}
		act := map[string]func(context.Context, string) (*store.Post, error){
			"like": srv.App().Like, "unlike": srv.App().Unlike, "boost": srv.App().Boost, "unboost": srv.App().Unboost}[cmd]
		p, err := act(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Done: %s %s\n", cmd, p.IRI)
	case "followers", "following":
		list := srv.App().Followers
		if cmd == "following" {
			list = srv.App().Following
		}
		entries, err := list(ctx)
		if err != nil {
			return err
		}
		printAccounts(env.Stdout, entries)
	case "requests":
		if len(rest) == 0 {
			entries, err := srv.App().FollowRequests(ctx)
			if err != nil {
				return err
			}
			printAccounts(env.Stdout, entries)
			return nil
		}
		if len(rest) != 2 || (rest[0] != "approve" && rest[0] != "reject") {
			return fmt.Errorf("requests: %w: roost requests [approve|reject @user@host]", ErrUsage)
		}
		act := srv.App().ApproveFollower
		if rest[0] == "reject" {
			act = srv.App().RejectFollower
		}
		a, err := act(ctx, rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Done: %s @%s\n", rest[0], a.Handle())
	}
	return nil
}

// openOwnerStore opens the database of the data folder dir for one of the owner's commands. It
// neither creates nor migrates it: only `roost serve` does, and a newer binary's command must
// not change the schema under an older server that still runs.
func openOwnerStore(ctx context.Context, dir datadir.Dir) (*store.Store, error) {
	file := dir.DB()
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no database in %s yet: run roost serve first", dir)
	}
	st, err := store.OpenCurrent(ctx, file)
	if errors.Is(err, store.ErrSchemaOld) {
		return nil, fmt.Errorf("%s: %w; run roost serve of this version first, it upgrades the database "+
			"(and keeps a copy of the old one)", file, err)
	}
	return st, err
}

func printAccounts(w io.Writer, entries []store.FollowEntry) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "(none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range entries {
		fmt.Fprintf(tw, "@%s\t%s\t%s\t%s\n", e.Account.Handle(), e.Follow.State, e.Follow.CreatedAt.Format("2006-01-02"), e.Account.IRI)
	}
	tw.Flush()
}

// profileFlags are the flags of `roost profile`.
type profileFlags struct {
	name, bio, avatar, header            string
	locked, discoverable, indexable, bot string
	fields, aliases                      multiFlag
}

func (p *profileFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.name, "name", "", "display name")
	fs.StringVar(&p.bio, "bio", "", "bio (Markdown)")
	fs.StringVar(&p.avatar, "avatar", "", "avatar image URL")
	fs.StringVar(&p.header, "header", "", "header image URL")
	fs.StringVar(&p.locked, "locked", "", "true: approve followers by hand")
	fs.StringVar(&p.discoverable, "discoverable", "", "true: may be featured in directories")
	fs.StringVar(&p.indexable, "indexable", "", "true: public posts may be indexed by search")
	fs.StringVar(&p.bot, "bot", "", "true: an automated account")
	fs.Var(&p.fields, "field", "profile field NAME=VALUE (repeat)")
	fs.Var(&p.aliases, "alias", "another account of yours, @user@host or URL (repeat)")
}

// input turns the flags that were set into a ProfileInput (nil when none was set).
func (p *profileFlags) input(fs *flag.FlagSet) (*app.ProfileInput, error) {
	var in app.ProfileInput
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(set) == 0 || (len(set) == 1 && set["data"]) {
		return nil, nil
	}
	str := func(name string, v *string) *string {
		if set[name] {
			return v
		}
		return nil
	}
	in.DisplayName, in.Bio = str("name", &p.name), str("bio", &p.bio)
	in.AvatarURL, in.HeaderURL = str("avatar", &p.avatar), str("header", &p.header)
	for name, dst := range map[string]**bool{"locked": &in.Locked, "discoverable": &in.Discoverable,
		"indexable": &in.Indexable, "bot": &in.Bot} {
		if !set[name] {
			continue
		}
		v, ok := map[string]bool{"true": true, "false": false}[map[string]string{"locked": p.locked,
			"discoverable": p.discoverable, "indexable": p.indexable, "bot": p.bot}[name]]
		if !ok {
			return nil, fmt.Errorf("-%s: use true or false", name)
		}
		*dst = &v
	}
	if set["field"] {
		in.SetFields = true
		for _, f := range p.fields {
			if f == "" {
				continue
			}
			name, value, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("-field %q: use NAME=VALUE", f)
			}
			in.Fields = append(in.Fields, store.Field{Name: name, Value: value})
		}
	}
	if set["alias"] {
		in.SetAliases = true
		for _, a := range p.aliases {
			if a != "" {
				in.AlsoKnownAs = append(in.AlsoKnownAs, a)
			}
		}
	}
	return &in, nil
}

func printProfile(w io.Writer, a *store.Account) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "handle\t@%s\n", a.Handle())
	fmt.Fprintf(tw, "actor\t%s\n", a.IRI)
	fmt.Fprintf(tw, "name\t%s\n", a.DisplayName)
	fmt.Fprintf(tw, "bio\t%s\n", a.Summary)
	for _, f := range a.Fields {
		fmt.Fprintf(tw, "field\t%s = %s\n", f.Name, f.Value)
	}
	fmt.Fprintf(tw, "avatar\t%s\nheader\t%s\n", a.AvatarURL, a.HeaderURL)
	fmt.Fprintf(tw, "locked\t%t\ndiscoverable\t%t\nindexable\t%t\nbot\t%t\n", a.Locked, a.Discoverable, a.Indexable, a.Bot)
	for _, aka := range a.AlsoKnownAs {
		fmt.Fprintf(tw, "alias\t%s\n", aka)
	}
	tw.Flush()
}
