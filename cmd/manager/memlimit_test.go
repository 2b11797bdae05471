package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestSetMemoryLimitFromFlag(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	got, err := setMemoryLimit("80Mi")
	if err != nil || got != 80<<20 {
		t.Fatalf("setMemoryLimit(80Mi) = %d, %v; want %d", got, err, 80<<20)
	}
	if now := debug.SetMemoryLimit(-1); now != 80<<20 {
		t.Errorf("the runtime's limit is %d, want %d", now, 80<<20)
	}
	for _, bad := range []string{"eighty", "-1Mi", "0"} {
		if _, err := setMemoryLimit(bad); err == nil {
			t.Errorf("setMemoryLimit(%q) accepted it", bad)
		}
	}
	debug.SetMemoryLimit(math.MaxInt64)
}
