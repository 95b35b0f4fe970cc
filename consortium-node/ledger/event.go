package ledger

// Attr is one key/value attribute of an event.
type Attr struct {
	_     struct{} `cbor:",toarray"`
	Key   string   `json:"key"`
	Value string   `json:"value"`
}

// Event is emitted by a contract during a successful transaction. The read
// model (the portal) builds its indexes from events; events never carry
// personal health data.
type Event struct {
	_        struct{} `cbor:",toarray"`
	Contract string   `json:"contract"`
	Type     string   `json:"type"`
	Attrs    []Attr   `json:"attrs"`
}

// Attr returns the value of the named attribute, or "".
func (e Event) Attr(key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}
