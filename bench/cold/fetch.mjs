// Cold start, the floor: a fresh process mints one WebRTC token with plain fetch + JSON.parse.
const [baseUrl, apiKey, agentId] = process.argv.slice(2);
const response = await fetch(`${baseUrl}/v1/convai/conversation/token?agent_id=${encodeURIComponent(agentId)}`, {
  headers: { "xi-api-key": apiKey },
});
const body = JSON.parse(await response.text());
if (!response.ok || typeof body.token !== "string") process.exit(1);
