package app

import (
	"roost/store"
)

func ProfileURL(a *store.Account) string {
	if a.URL != "" {
		return a.URL
	}
	return a.IRI
}
