package mastoapi

import (
	"context"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
)

// apiViewer is who a client API request comes from: the owner when apiAuth admitted a token of
// theirs, else anonymous. The scopes were checked by the route (apiAuth refuses a token that
// does not cover the route's scope, also on the routes where a token is optional), so a token
// without a read scope never reaches a route that reads posts. Routes that take no token have
// none in their context, and answer everyone as anonymous.
func apiViewer(ctx context.Context) app.Viewer {
	t := oauth.ContextToken(ctx)
	return app.Viewer{Owner: t != nil && t.Owner}
}
