#!/usr/bin/env bash
# Prints the CPU the benches ran on, for their headers: model name, family and model, and
# ", AVX-512 hidden (scripts/emulate-cpu.sh avx2)" when they run under the CPUID mask.
name=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
family=$(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
model=$(grep -m1 '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
echo "$name (family $family model $model)${Q8_EMULATED_CPU:+, AVX-512 hidden (scripts/emulate-cpu.sh $Q8_EMULATED_CPU)}"
