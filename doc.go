// Package tokenkit is the common vocabulary of a Go SDK for the access-token
// APIs of five products: VMware/Tanzu CSP (package csp), Commvault,
// Oracle Content Management, Clone Guard and Canvus.
//
// Every vendor package returns tokens that implement Token and implements the
// capability interfaces its API supports (Exchanger, Issuer, Revoker,
// Lister), so code that manages tokens across vendors is written once. Around
// them:
//
//   - Source caches a token, refreshes it ahead of expiry in the background,
//     and makes exactly one upstream call however many goroutines ask;
//   - Transport (and NewClient) authenticates every request with a token
//     from a Source and resends once after a 401;
//   - OAuth2TokenSource adapts a Source to golang.org/x/oauth2;
//   - SharedSource shares one token between processes through a Store (a
//     file store in store/filestore, Redis in the nested module
//     store/redisstore): one exchange per lifetime however many replicas
//     run, and a rotating refresh credential is never sent twice;
//   - Exported is the one persisted form of every vendor's tokens (Export,
//     and each vendor's Import);
//   - Error is the one error type of every vendor, matched with errors.Is
//     against ErrUnauthorized, ErrRateLimited, ErrInvalidCredential, …;
//   - the Option functions (WithHTTPClient, WithLogger, WithRetryMax, …)
//     configure every vendor client the same way.
//
// The shortest working use, with the CSP package:
//
//	c, err := csp.New(csp.CloudVMware)
//	if err != nil { … }
//	src := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)})
//	resp, err := tokenkit.NewClient(src, nil).Get("https://vmc.vmware.com/vmc/api/orgs")
//
// Secrets never print: tokens and Secret values redact themselves in String,
// GoString, Format and LogValue, and every log line and error passes one
// redactor.
package tokenkit
