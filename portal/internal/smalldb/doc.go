// Package smalldb opens the portal's small goleveldb databases (the
// accounts in portal/session, the patient directory in portal/patientdir):
// strict about corruption (a damaged journal or manifest is an error,
// never silently dropped), goleveldb's default sizes, on disk or, for
// tests, in memory. The read model's large index has its own sizes
// (consortium-node/dbopt) and uses OpenOrMemory only.
//
// Imports: goleveldb only.
package smalldb
