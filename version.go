package tokenkit

// Version is the version of tokenkit, sent in the User-Agent header of every
// request as "tokenkit-go/<Version>".
const Version = "0.1.0"
