#!/usr/bin/env node
// Builds and runs the native C++ tests: natively on this machine (ctest), and for aarch64 with the
// cross compiler under qemu-aarch64 on three CPU models when those are installed (.ci/run installs
// them; locally: `apt-get install g++-aarch64-linux-gnu qemu-user`). Under CI=true a missing cross
// toolchain fails.
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const jobs = String(Math.max(1, Math.min(cpus().length, 4)));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`native tests: '${cmd} ${args.join(" ")}' exited with ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function build(buildDir, extraConfigure) {
  run("cmake", ["-S", ".", "-B", buildDir, "-DCMAKE_BUILD_TYPE=Release", ...extraConfigure], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  run("cmake", ["--build", buildDir, "-j", jobs], { stdio: ["ignore", "ignore", "inherit"] });
}

function buildAndTest(label, buildDir, extraConfigure) {
  console.log(`\n== native tests (${label}) ==`);
  build(buildDir, extraConfigure);
  run("ctest", ["--test-dir", buildDir, "--output-on-failure"]);
}

// The aarch64 suite runs once per CPU model, each with the feature level dispatch_test expects, so a
// run that picked the wrong kernels fails; the binary's output names the variant of every type. Each
// run costs about 100 s of CPU time here (-cpu max; the kernel cases are nearly all of it).
const ARM_MODELS = [
  { cpu: "max", level: "i8mm" }, // i8mm, dotprod, SVE: the production target's extensions
  { cpu: "cortex-a76", level: "dotprod" }, // dotprod, no i8mm
  { cpu: "cortex-a53", level: "base" }, // plain NEON
];

buildAndTest("x86-64, native", "build-native/x64", []);

if (has("aarch64-linux-gnu-g++") && has("qemu-aarch64")) {
  const armDir = "build-native/arm64";
  build(armDir, [`-DCMAKE_TOOLCHAIN_FILE=${join(root, "native/cmake/aarch64-linux-gnu.cmake")}`]);
  for (const { cpu, level } of ARM_MODELS) {
    console.log(`\n== native tests (aarch64, under qemu-aarch64 -cpu ${cpu}: ${level}) ==`);
    run("qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", "-cpu", cpu, join(armDir, "capibara_native_tests")], {
      env: { ...process.env, CAPIBARA_EXPECT_NEON: level },
    });
  }
} else if (process.env.CI) {
  console.error("native tests: CI=true but g++-aarch64-linux-gnu / qemu-user are missing (see .ci/run)");
  process.exit(1);
} else {
  console.warn("native tests: aarch64 skipped (install g++-aarch64-linux-gnu and qemu-user to run NEON tests)");
}
