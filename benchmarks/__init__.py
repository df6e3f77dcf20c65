"""Benchmarks of bctrl-tools: ``make bench`` (``python -m benchmarks``) writes RESULTS.md.

Each ``bench_<name>.py`` module measures one thing against a hand-written baseline and
has a ``run(servers, quick) -> Section``. Shared pieces: ``servers`` (the sandbox and the
canned server), ``canned`` (that server), ``baselines`` (the hand-written clients),
``timing`` (interleaved measurement), ``results`` and ``report`` (tables, RESULTS.md).
"""

# name -> title, in the order they run and appear in RESULTS.md.
BENCHMARKS: dict[str, str] = {
    "client": "1. Client call vs raw httpx",
    "vendor": "2. Client vs the vendor snippet (requests.post per call)",
    "langchain": "3. LangChain tool call vs a bare BaseTool",
    "mcp": "4. MCP server: start-up, memory, per-call overhead",
    "batch": "5. Batch cancel of 200 ids at 20 ms latency",
    "import": "6. Import time",
    "throughput": "7. Sandbox throughput",
    "fleet": "8. Shared cancel budget: Redis vs in process",
    "listing": "9. Listing a run of 500 invocations",
    "views": "10. What the model sees: characters of each host view",
}
