"""What a blind auditor of the auditing game may use: its workspace, model access, neutral tools, a
tool-calling agent loop, an MCP server of the same tools, and the report and submission it writes.

Everything here reads only the auditor workspace (``<game>/auditor``) and the public prompt generators; it
never imports the organism maker's side (specs, behaviour lists, detectors, document generators). The
checklist auditor, an upper bound that does read that side, lives in :mod:`auditgame.checklist`.
"""

from auditgame.auditors.access import ApiAccess, LocalAccess, ModelAccess, open_access
from auditgame.auditors.agent import AGENT_NAME, AgentResult, run_agent
from auditgame.auditors.agent_tools import TOOL_SCHEMAS, execute_tool, parse_findings, tool_names
from auditgame.auditors.endpoint import AgentError, ChatClient, EndpointClient
from auditgame.auditors.mcp_server import build_mcp_server, serve_stdio
from auditgame.auditors.report import SUBMISSION_FILE, AuditReport, submission_json, write_submission
from auditgame.auditors.terms import matched_terms, term_counts, term_share
from auditgame.auditors.tools import AuditTools
from auditgame.auditors.workspace import AuditorError, AuditWorkspace, check_output_dir, default_output_dir

__all__ = [
    "AGENT_NAME",
    "SUBMISSION_FILE",
    "TOOL_SCHEMAS",
    "AgentError",
    "AgentResult",
    "ApiAccess",
    "AuditReport",
    "AuditTools",
    "AuditWorkspace",
    "AuditorError",
    "ChatClient",
    "EndpointClient",
    "LocalAccess",
    "ModelAccess",
    "build_mcp_server",
    "check_output_dir",
    "default_output_dir",
    "execute_tool",
    "matched_terms",
    "open_access",
    "parse_findings",
    "run_agent",
    "serve_stdio",
    "submission_json",
    "term_counts",
    "term_share",
    "tool_names",
    "write_submission",
]
