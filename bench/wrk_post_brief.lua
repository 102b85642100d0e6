-- bench/load.sh: a startup posts briefs through the API (POST /api/v1/briefs/, token in a
-- header given with -H). Each request has its own title; the deadline is 60 days ahead.
-- Expects 201 (WRK_EXPECT); reporting comes from bench/wrk_common.lua.

dofile((os.getenv("WRK_LUA_DIR") or "bench") .. "/wrk_common.lua")

local tag = os.getenv("WRK_TAG") or "copywriting"
local deadline = os.date("%Y-%m-%d", os.time() + 60 * 86400)
local sent = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  sent = sent + 1
  local body = string.format(
    '{"title": "压测需求 %d-%d", "description": "为新品发布写一篇新闻稿，面向科技媒体。",'
      .. ' "tag": "%s", "budget_min": 5000, "budget_max": 10000, "deadline": "%s"}',
    os.time(), sent, tag, deadline
  )
  return wrk.format(nil, nil, nil, body)
end
