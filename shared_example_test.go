package tokenkit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

// Two sources sharing one key, as two replicas would through a file or
// Redis store (here an in-memory one): the second adopts the first's token
// instead of exchanging its own.
func ExampleNewSharedSource() {
	st := store.NewMemory() // filestore.New(dir, codec) or redisstore.New(rdb, codec) across processes
	exchanges := 0
	newReplica := func() *tokenkit.SharedSource {
		s, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{
			Store: st, Key: "csp/my-org", Import: tokenkit.ImportBearer,
			Refresh: func(ctx context.Context, _ tokenkit.Token) (tokenkit.Token, error) {
				exchanges++ // csp: return c.ExchangeAPIToken(ctx, req)
				return tokenkit.NewBearerToken(fmt.Sprint("token-", exchanges), time.Now().Add(time.Hour)), nil
			},
		})
		if err != nil {
			panic(err)
		}
		return s
	}
	a, b := newReplica(), newReplica()
	ta, _ := a.Token(context.Background())
	tb, _ := b.Token(context.Background())
	fmt.Println("exchanges:", exchanges, "same token:", ta.Value() == tb.Value())
	// Output: exchanges: 1 same token: true
}
