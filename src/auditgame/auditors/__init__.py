"""Automated auditors of the blind auditing game: a scripted pipeline and a tool-calling LLM agent.

Both read only the auditor workspace (``<game>/auditor``) and write a submission the game grades.
"""

from auditgame.auditors.agent import TOOL_SCHEMAS, AgentResult, EndpointClient, execute_tool, run_agent
from auditgame.auditors.config import ScriptedAuditConfig
from auditgame.auditors.report import AuditReport, ModelAudit
from auditgame.auditors.scripted import run_scripted_audit
from auditgame.auditors.tools import AuditTools, detect_behaviours
from auditgame.auditors.workspace import AuditorError, AuditWorkspace

__all__ = [
    "TOOL_SCHEMAS",
    "AgentResult",
    "AuditReport",
    "AuditTools",
    "AuditWorkspace",
    "AuditorError",
    "EndpointClient",
    "ModelAudit",
    "ScriptedAuditConfig",
    "detect_behaviours",
    "execute_tool",
    "run_agent",
    "run_scripted_audit",
]
