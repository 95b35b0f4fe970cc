package readmodel

// DumpAll lists every key and value of the index, the applied height
// included (for the tests of package readmodel_test).
var DumpAll = dumpAll
