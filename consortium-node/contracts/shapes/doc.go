// Package shapes lists every system contract's Shape (contracts/vocab): per
// method the arguments it reads, per event the attributes it carries, each
// declared by the contract's own vocabulary package. Tests on both sides
// check against it, so that a contract and the portal that calls it and
// reads its events cannot drift apart unnoticed:
//
//   - chaintest fails a contract test whose committed call passes an
//     argument its method does not declare, or whose event carries an
//     attribute that is not declared or lacks one that is;
//   - the portal's testnode checks every transaction its tests commit the
//     same way (the calls the GraphQL modules build, the demo data);
//   - this package's tests check that each vocabulary's Arg and Attr
//     constants are its Shape, that each contract uses every one, that no
//     code spells a name itself, and that where the portal's read model
//     handles an event it reads only attributes that event carries.
//
// It imports only the vocabulary packages: never a contract implementation
// or the executor.
package shapes
