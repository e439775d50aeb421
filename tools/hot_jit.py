#!/usr/bin/env python3
"""Per-method sample shares of a running JVM, and the disassembly of its hottest JIT-compiled methods with the
share of each instruction (benchmarks/README.md section 7).

Usage: WAIT=seconds-before-sampling REC=seconds-of-sampling python3 tools/hot_jit.py TOPN -- java ARGS...
The JVM is started, sampled with `perf record -e cpu-clock` after WAIT seconds for REC seconds, its JIT code
mapped with `jcmd PID Compiler.perfmap` and read from /proc/PID/mem, then killed.
"""
import subprocess, sys, time, re, os, collections, bisect, tempfile, atexit, signal

WORK = tempfile.mkdtemp(prefix="hot_jit.")
PERF_DATA = os.path.join(WORK, "perf.data")
CODE_BIN = os.path.join(WORK, "code.bin")
JCMD = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "jcmd")

top = int(sys.argv[1]); args = sys.argv[3:]
p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
# The JVM must not outlive this script (a `timeout` around it, Ctrl-C): a benchmark left spinning would skew every
# later measurement on the machine.
atexit.register(lambda: p.poll() is None and p.kill())
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
time.sleep(float(os.environ.get("WAIT", "6")))
J = JCMD
rec = subprocess.run(["perf","record","-e","cpu-clock","-F","4000","-t",os.environ.get("TID",""),"-o",PERF_DATA,"--","sleep",os.environ.get("REC","4")] if os.environ.get("TID") else
                     ["perf","record","-e","cpu-clock","-F","4000","-p",str(p.pid),"-o",PERF_DATA,"--","sleep",os.environ.get("REC","4")], capture_output=True)
subprocess.run([J, str(p.pid), "Compiler.perfmap"], stdout=subprocess.DEVNULL)
syms = []
for line in open(f"/tmp/perf-{p.pid}.map"):
    a, s, name = line.split(" ", 2)
    syms.append((int(a,16), int(s,16), name.strip()))
syms.sort()
starts = [s[0] for s in syms]
out = subprocess.run(["perf","script","-i",PERF_DATA,"-F","ip"], capture_output=True, text=True).stdout
ips = collections.Counter(int(l.strip(),16) for l in out.split() if l.strip())
total = sum(ips.values())
per = collections.Counter(); perip = collections.defaultdict(collections.Counter)
for ip,c in ips.items():
    i = bisect.bisect_right(starts, ip) - 1
    if i >= 0 and syms[i][0] <= ip < syms[i][0] + syms[i][1]:
        per[i] += c; perip[i][ip] += c
    else:
        per[-1] += c
for i,c in per.most_common(15):
    print(f"{100*c/total:5.1f}% {syms[i][2] if i>=0 else '(not JIT code)'}")
with open(f"/proc/{p.pid}/mem", "rb") as m:
    for i,c in per.most_common(top):
        if i < 0: continue
        a,s,name = syms[i]
        m.seek(a); code = m.read(s)
        open(CODE_BIN,"wb").write(code)
        print("====", name, f"{100*c/total:.1f}%")
        dis = subprocess.run(["objdump","-D","-b","binary","-m","i386:x86-64","--adjust-vma="+hex(a),CODE_BIN], capture_output=True, text=True).stdout
        for l in dis.splitlines():
            mm = re.match(r"\s*([0-9a-f]+):", l)
            if mm:
                ip = int(mm.group(1),16); n = perip[i].get(ip,0)
                print(f"{100*n/c:5.1f} {l}" if n else f"      {l}")
p.kill()
