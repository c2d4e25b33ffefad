package forget

import (
	"context"

	"github.com/outreach-scheduler/outreach/prospects"
)

// Pseudonym returns a salted hash of the person named by key (raw or
// normalized; "" for an empty key), for records that must tell people
// apart without naming them, such as the ledger's index of sent
// invitations: 32 hex digits of HMAC-SHA256(salt, domain + "\x00" +
// normalized key), with the registry's salt (created on first use, as Add
// does). The domain keeps the pseudonyms of each use apart from each other
// and from the forgotten set's members; without this Redis's salt they
// cannot be matched to anyone.
func (r *Registry) Pseudonym(ctx context.Context, domain, key string) (string, error) {
	if key = prospects.NormalizeKey(key); key == "" {
		return "", nil
	}
	salt, err := r.ensureSalt(ctx)
	if err != nil {
		return "", err
	}
	return hash(salt, domain+"\x00"+key)[:32], nil
}
