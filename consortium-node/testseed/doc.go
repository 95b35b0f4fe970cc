// Package testseed gives a randomised test its seed: the one the test's flag names, or a new one, logged with how
// to replay it (the house rule: randomised tests print and accept a seed), and the generator that seed stands for. Only tests import it; it imports the
// standard library only, so tests anywhere in the module (scripts/ included) may.
package testseed
