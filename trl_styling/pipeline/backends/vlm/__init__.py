"""Model-backed pipeline stages, written once against `ChatModel`.

=====================================  ==========================  ==========================================
class                                  stage                       what the model does
=====================================  ==========================  ==========================================
`VLMContextExtractor`           ``extract_context``         image -> the 10-dimension context as JSON
`VLMPlanner`                    ``plan``                    context + goal (+ image) -> n plans with
                                                                   per-step reasoning
`VLMInstructionSynthesizer`     ``synthesize_instruction``  plan -> one edit instruction (template
                                                                   fallback)
`VLMJudge`                      ``judge``                   both images + goal + plan -> six criteria,
                                                                   rationale, reward (optional CME,
                                                                   difference-first)
=====================================  ==========================  ==========================================

**Constructor contract** (for registering these classes with another transport): every class takes the chat
model as its first positional argument, then keyword arguments only -- the stage's standard ones
(`STANDARD_KWARGS`: ``seed`` everywhere, ``library`` for the planner, the
synthesizer and the judge) and its options (``temperature``, ``max_tokens``, ``max_attempts``, ...). Unknown
keyword arguments are ignored, so a factory may pass a stage all of its backend kwargs after taking out the
transport's own. A registration is a small factory::

    @register_backend("plan", "transformers")
    def transformers_planner(*, model, library, seed=0, **options):
        return VLMPlanner(LocalChatModel(model), library=library, seed=seed, **options)

(`trl_styling.pipeline.backends.openai_server` registers them as ``"openai"``). Transports report an
unreachable service with `ChatModelUnavailableError`: the stages
re-raise it (the run stops and resumes later) and treat any other
`ChatModelError` like an unusable answer (retry, then a recorded
failure).
"""

from __future__ import annotations

from trl_styling.pipeline.backends.vlm.extractor import VLMContextExtractor
from trl_styling.pipeline.backends.vlm.judge import JudgeAnswerError, VLMJudge
from trl_styling.pipeline.backends.vlm.planner import VLMPlanner
from trl_styling.pipeline.backends.vlm.responses import ResponseFormatError
from trl_styling.pipeline.backends.vlm.synthesizer import VLMInstructionSynthesizer

__all__ = [
    "JudgeAnswerError",
    "ResponseFormatError",
    "VLMContextExtractor",
    "VLMInstructionSynthesizer",
    "VLMJudge",
    "VLMPlanner",
]
