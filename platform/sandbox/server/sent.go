package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// sent answers POST /v1/invitations/sent, signed like an action (when
// Options.Keys has a secret): the model's record of the invitations it
// accepted, with their answers (sandbox.Model.SentInvitations).
func (s *Server) sent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxBody))
	if err != nil {
		webhook.WriteError(w, http.StatusRequestEntityTooLarge, platform.CodeInvalid, "body too large or unreadable")
		return
	}
	if !s.opt.Keys.Empty() {
		if _, err := webhook.VerifyAndRecord(s.opt.Keys, s.replay, r, body, s.opt.Now(), s.opt.Tolerance); err != nil {
			s.opt.Logger.Warn("sent-invitations request refused", "reason", err.Error())
			webhook.WriteError(w, http.StatusUnauthorized, platform.CodeInvalid, err.Error())
			return
		}
	}
	var q webhook.SentRequest
	if err := json.Unmarshal(body, &q); err != nil {
		webhook.WriteError(w, http.StatusBadRequest, platform.CodeInvalid, "bad JSON: "+err.Error())
		return
	}
	s.advance(s.opt.Now()) // the answers due by now, as GET /v1/events has them
	list, err := s.model.SentInvitations(r.Context(), q.Since)
	switch {
	case errors.Is(err, platform.ErrNoSentRecord):
		webhook.WriteError(w, http.StatusNotImplemented, platform.CodeInvalid, err.Error())
		return
	case err != nil:
		webhook.WriteError(w, http.StatusServiceUnavailable, platform.CodeUnavailable, err.Error())
		return
	}
	out := webhook.SentResponse{Invitations: make([]webhook.SentInvitation, len(list))}
	for i, x := range list {
		out.Invitations[i] = webhook.SentOf(x)
	}
	s.opt.Logger.Info("sent invitations listed", "invitations", len(list))
	writeJSON(w, out)
}
