"""Who is asking: the client's address, the one rule for every rate limit.

`REMOTE_ADDR` unless settings.TRUSTED_PROXY_COUNT says that many proxies of ours stand in front
of the web process, each appending the address it saw to X-Forwarded-For: then the entry
that the outermost trusted proxy appended (the `count`-th from the end). Whatever a client
writes into the header itself stays to the left of it and is never read, so a changing header
cannot make a client look like many. allauth's limits (`AccountAdapter.get_client_ip`) and
the API's throttles (`kaigan.api.throttling`) both ask here.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                pass  # not an address: a proxy of ours would not write that
    return request.META.get("REMOTE_ADDR", "")
