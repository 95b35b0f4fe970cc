// Package transportws is the server side of the graphql-transport-ws
// WebSocket protocol (the protocol of the graphql-ws library):
// connection_init/connection_ack, subscribe, next, error, complete and
// ping/pong, closing with 4400 (bad message), 4401 (subscribe before the
// ack), 4403 (init refused), 4408 (no init in time), 4409 (duplicate
// operation id) and 4429 (a second init). Queries run once (next then
// complete); subscriptions stream until either side completes;
// mutations are refused here (they go over HTTP POST, where CSRF defence
// applies).
//
// It works over any connection with gorilla-style methods (Conn), such as
// gofiber/contrib/websocket's, and runs documents through graphql/schema
// with the same limits as HTTP. Domain subscriptions are schema fields and
// need nothing here.
package transportws
