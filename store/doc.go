// Package store holds what tokenkit's Store backends share: the encoding of a
// tokenkit.Record with its token sealed by AES-GCM (Codec, Keyring), and an
// in-memory Store for tests and for several sources within one process.
//
// The backends live beside it: store/filestore (processes on one host, a
// file lock) and the nested module store/redisstore (processes anywhere,
// Redis). A shared source over the file store:
//
//	key, _ := store.NewKey("2026-12", secret32bytes) // from your secret manager
//	ring, _ := store.NewKeyring(key)
//	fs, _ := filestore.New(dir, store.Codec{Keys: ring})
//	src, _ := tokenkit.NewSharedSource(tokenkit.SharedConfig{
//		Store: fs, Key: "csp/my-org",
//		Import: csp.Import,
//		Refresh: func(ctx context.Context, _ tokenkit.Token) (tokenkit.Token, error) {
//			return client.ExchangeAPIToken(ctx, req)
//		},
//	})
package store
