package daemon

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/hibiken/asynq"
)

// Logger adapts slog to asynq's logger interface (asynq.Config.Logger).
func Logger(l *slog.Logger) asynq.Logger { return asynqLogger{l} }

// asynqLogger adapts slog to asynq's logger interface.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// Fatal is called by asynq on unrecoverable errors; it must not return.
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...))
	os.Exit(2)
}
