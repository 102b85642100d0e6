def brief_detail_context(request, brief) -> dict:
    """What the startup can do next on its brief page (filled in as the journey grows)."""
    return {}
