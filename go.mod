module github.com/almoner/almoner

go 1.26

require (
	github.com/casbin/casbin/v2 v2.135.0
	github.com/cloudflare/circl v1.6.5
	github.com/fxamacker/cbor/v2 v2.10.0
	github.com/syndtr/goleveldb v1.0.0
	github.com/transparency-dev/merkle v0.0.2
	go.etcd.io/raft/v3 v3.7.0
	golang.org/x/crypto v0.54.0
	google.golang.org/protobuf v1.36.11
)

require (
	github.com/bmatcuk/doublestar/v4 v4.6.1 // indirect
	github.com/casbin/govaluate v1.3.0 // indirect
	github.com/golang/snappy v0.0.0-20180518054509-2e65f85255db // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
