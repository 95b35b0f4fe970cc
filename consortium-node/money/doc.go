// Package money owns how amounts are written: the ISO 4217 number of
// decimals of each currency (its minor unit) and an amount of minor units
// written as a decimal in the currency's major unit ("250.00" EUR, "250"
// JPY, "1.500" BHD), as people write money and as FHIR Money and CSV
// exports carry it, and digits grouped in thousands ("1,250,000") as people
// read amounts and figures. The ledger itself keeps integer minor units.
//
// It imports only the standard library; anything may import it (the
// contracts, the node API, the portal's read model and GraphQL).
package money
