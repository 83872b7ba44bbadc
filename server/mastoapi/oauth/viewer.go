package oauth

import (
	"context"

	"roost/server/app"
)

// Viewer is who a client API request comes from: the owner when Auth admitted a token of
// theirs, else anonymous. The scopes were checked by the route (Auth refuses a token that
// does not cover the route's scope, also on the routes where a token is optional), so a token
// without a read scope never reaches a route that reads posts. Routes that take no token have
// none in their context, and answer everyone as anonymous.
func Viewer(ctx context.Context) app.Viewer {
	t := ContextToken(ctx)
	return app.Viewer{Owner: t != nil && t.Owner}
}
