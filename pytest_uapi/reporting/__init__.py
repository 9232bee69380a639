"""Certification and CI-gate reporting: verdicts per requirement, expected deviations, reports.

Data flows one way, and only through pytest reports, so a run spread over xdist workers gives the
same result as a run in one process:

```
worker:      evidence   (what one test's reports carry: failed requirement ids, exchanges)
             expectations (an expected failure becomes an xfail on the worker)
controller:  verdicts   (requirement verdicts, and the untested ones that set the exit status,
                         from the reports alone)
             environment (versions, platform, options and their sources)
             report_json → report_html, terminal summary, exit status
```

``plugin.ReportingPlugin`` holds the hooks; the plugin's entry point registers it only when a
UAPI target is given.
"""

from __future__ import annotations
