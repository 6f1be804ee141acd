/*
 * The tunnelling agent for a proxy, in a chunk of its own: @actions/http-client loads
 * undici when imported, which is most of a megabyte of code that only a job behind a
 * proxy needs (see proxyAgentFor in http-transport.ts).
 */
import type { Agent } from 'node:http';
import { getProxyUrl, HttpClient } from '@actions/http-client';
import { USER_AGENT } from './http-transport.ts';

/**
 * The agent that tunnels to `url` through the proxy the environment names, or undefined
 * when NO_PROXY (or a loopback address) says to go direct.
 */
export function tunnellingAgentFor(url: string): Agent | undefined {
  if (!getProxyUrl(url)) return undefined;
  const agent = new HttpClient(USER_AGENT).getAgent(url);
  // The AWS SDK takes an agent only if it is an https.Agent or has destroy(); otherwise it
  // treats it as options and builds its own agent, bypassing the proxy. The tunnelling
  // agent (declared an http.Agent) has no destroy() and pools nothing, so a no-op does.
  if (typeof (agent as Partial<Agent>).destroy !== 'function') agent.destroy = () => undefined;
  return agent;
}
