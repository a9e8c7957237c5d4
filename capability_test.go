package tokenkit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

func TestRejectedTellsDeadFromUnknown(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&tokenkit.Error{Err: tokenkit.ErrUnauthorized}, true},
		{&tokenkit.Error{Err: tokenkit.ErrInvalidCredential}, true},
		{fmt.Errorf("wrapped: %w", &tokenkit.Error{Err: tokenkit.ErrInvalidCredential}), true},
		{&tokenkit.Error{Err: tokenkit.ErrForbidden}, false}, // works, lacks a permission
		{&tokenkit.Error{Err: tokenkit.ErrLocked}, false},
		{&tokenkit.Error{Err: tokenkit.ErrServer}, false},
		{&tokenkit.Error{Err: tokenkit.ErrTransport}, false},
		{context.Canceled, false},
		{errors.New("other"), false},
	} {
		if got := tokenkit.Rejected(tc.err); got != tc.want {
			t.Errorf("Rejected(%v) = %t, want %t", tc.err, got, tc.want)
		}
	}
}

func TestFields(t *testing.T) {
	f := tokenkit.FieldName | tokenkit.FieldCreatedAt
	if !f.Has(tokenkit.FieldCreatedAt) || f.Has(tokenkit.FieldLastUsedAt) || f.Has(tokenkit.FieldName|tokenkit.FieldScopes) {
		t.Errorf("Has is wrong for %v", f)
	}
	if got := f.String(); got != "Name|CreatedAt" {
		t.Errorf("String = %q", got)
	}
	if got := tokenkit.Fields(0).String(); got != "none" {
		t.Errorf("zero String = %q", got)
	}
	var info tokenkit.TokenInfo
	if info.Reported.Has(tokenkit.FieldLastUsedAt) {
		t.Error("a zero TokenInfo reports nothing")
	}
}

type idToken struct{ tokenkit.Token }

func (idToken) TokenID() string { return "42" }

func TestIDOf(t *testing.T) {
	if got := tokenkit.IDOf(idToken{}); got != "42" {
		t.Errorf("IDOf = %q", got)
	}
	if got := tokenkit.IDOf(tokenkit.NewBearerToken("x", time.Time{})); got != "" {
		t.Errorf("IDOf of an unidentified token = %q", got)
	}
	if got := tokenkit.IDOf(nil); got != "" {
		t.Errorf("IDOf(nil) = %q", got)
	}
}
