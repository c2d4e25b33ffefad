// Package logtrunc bounds what a log line can carry: Handler wraps a
// slog.Handler and cuts every string attribute value, every error's text
// and every other value's text form to a fixed number of bytes (Max, 256
// by default), and the message to four times that, marking each cut with
// its original length ("...[900158 bytes]"). Groups are walked, so nested
// attributes are bounded too.
//
// It exists because values from outside (a platform event's account, a
// ledger entry quoted in an error) can be of any size: one 900 KB field
// once made a 900,158-character log line. Every logger the CLI builds goes
// through it (see cli.serviceLogger).
package logtrunc
