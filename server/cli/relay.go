package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"roost/server/app"
	"roost/server/app/relay"
)

// relayCommand runs `roost relay add|list|remove|forward`: the relay subscriptions.
func relayCommand(ctx context.Context, env Env, core *app.App, args []string) error {
	usage := fmt.Errorf("relay: %w: roost relay add URL | list | remove URL | forward URL on|off", ErrUsage)
	if len(args) == 0 {
		return usage
	}
	r := core.Relays
	explain := func(err error) error {
		var re *relay.Error
		if errors.As(err, &re) {
			return errors.New(re.Msg)
		}
		return err
	}
	switch {
	case args[0] == "list" && len(args) == 1:
		list, err := r.List(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(env.Stdout, "(none)")
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		for _, x := range list {
			fwd := ""
			if x.Forward {
				fwd = "forwarding"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.URL, x.State, fwd, x.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	case args[0] == "add" && len(args) == 2:
		x, err := r.Add(ctx, args[1])
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(env.Stdout, "Subscription request sent to %s (the server delivers it; roost relay list shows the answer)\n", x.Inbox)
	case args[0] == "remove" && len(args) == 2:
		x, err := r.Remove(ctx, args[1])
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(env.Stdout, "Unsubscribed from %s\n", x.URL)
	case args[0] == "forward" && len(args) == 3 && (args[2] == "on" || args[2] == "off"):
		x, err := r.SetForward(ctx, args[1], args[2] == "on")
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(env.Stdout, "Forwarding your public posts to %s: %s\n", x.URL, args[2])
	default:
		return usage
	}
	return nil
}
