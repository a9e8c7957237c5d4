package httpx

// This file: what a transport error says: misconfiguration, retryable, never sent.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// misconfigured reports errors that say the client's setup is wrong rather
// than the network: https pointed at a plain-http server, a certificate that
// does not verify, an unsupported scheme. The request never reached an
// application.
func misconfigured(err error) bool {
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
	)
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"server gave HTTP response to HTTPS client", "unsupported protocol scheme", "certificate"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// retryableTransportError is false for errors that repeat identically: bad
// certificates, unsupported schemes, plain http answering https, redirect
// loops, invalid headers.
func retryableTransportError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) || misconfigured(err) {
		return false
	}
	msg := err.Error()
	for _, s := range []string{"stopped after", "invalid header", "headers exceeded"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// neverSent reports whether the latest attempt, which failed with err,
// provably never reached a server: it received no response at all, and err
// says the connection could not be made or the TLS handshake failed.
func (op *Op) neverSent(err error) bool {
	if op == nil {
		return neverSent(err)
	}
	op.mu.Lock()
	answered := op.answered
	op.mu.Unlock()
	return !answered && neverSent(err)
}

// neverSent reports whether err proves the request never reached the server:
// the connection could not be made, or the TLS handshake failed.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "TLS handshake") || strings.Contains(msg, "connection refused")
}
