package tx

import "github.com/almoner/almoner/privacy/sign"

// MinBatch is the smallest number of signatures VerifyBatch checks as one
// batch; fewer are checked one by one, which is as fast.
const MinBatch = 4

// VerifyBatch checks the signatures of ss together (sign.BatchVerifier)
// and returns, for each, exactly what its Verify returns: nil for all of
// them when the batch verifies, and otherwise each one's own answer, so a
// bad signature among good ones is found and only it is refused. The
// batch and the single check accept the same signatures (ZIP-215 rules,
// sign.PublicKey.Verify), so which one a node uses never changes what it
// decides. It is safe to call from many goroutines on different slices.
func VerifyBatch(ss []*Signed) []error {
	errs := make([]error, len(ss))
	if len(ss) < MinBatch {
		for i, s := range ss {
			errs[i] = s.Verify()
		}
		return errs
	}
	b := sign.NewBatchVerifier(len(ss))
	for i, s := range ss {
		msg, err := s.Body.SignBytes()
		if err != nil {
			errs[i] = err // Verify's own answer; the rest may still batch
			continue
		}
		b.Add(s.Signature.PublicKey(), msg, s.Signature.Sig)
	}
	if b.Verify() {
		return errs
	}
	for i, s := range ss {
		if errs[i] == nil {
			errs[i] = s.Verify()
		}
	}
	return errs
}
