"""A synthetic government portal on 127.0.0.1 for tests, benchmarks and ``portalwatch demo``.

Three sites shaped like real Chinese government CMSs (TRS, Hanweb in GBK, gov.cn), serving
fictional notices that tests can edit, remove, delist and re-template while a crawler watches.
"""
from __future__ import annotations

from sampleportal.portal import NoticeView, SamplePortal
from sampleportal.state import Edit

__all__ = ["Edit", "NoticeView", "SamplePortal"]
