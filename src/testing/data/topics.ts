/**
 * What seeded conversations talk about. Each topic has its own vocabulary ("refund", "parcel",
 * "password"...), so a search for one word finds one topic's conversations, and a test can tell
 * a right answer from a wrong one.
 */

/** What a conversation is about: its lines, and what its analysis says. */
export interface Topic {
  intent: string;
  title: string;
  summary: string;
  user: readonly string[];
  agent: readonly string[];
}

/** The topics; seeded conversations pick one each. */
export const TOPICS: readonly Topic[] = [
  {
    intent: "refund",
    title: "Refund for a damaged order",
    summary: "The caller asked for a refund for a damaged order; the agent started the refund.",
    user: [
      "Hi, I would like a refund for my last order.",
      "It arrived damaged, the lid was cracked.",
      "The order number is on the receipt, one moment.",
      "How long until the refund shows up?",
    ],
    agent: [
      "I am sorry about that. Let me look up the order.",
      "I have started the refund; it takes three to five business days.",
      "Is there anything else about the refund I can help with?",
    ],
  },
  {
    intent: "delivery",
    title: "Late parcel",
    summary: "The caller's parcel was late; the agent checked the courier status and gave an estimate.",
    user: [
      "My parcel still has not arrived.",
      "The tracking page has said in transit for a week.",
      "Can the courier leave it with a neighbour?",
      "Thanks, I will keep an eye on the tracking.",
    ],
    agent: [
      "Let me check with the courier.",
      "The parcel is at the local depot and should arrive tomorrow.",
      "I have added a note for the courier.",
    ],
  },
  {
    intent: "account_access",
    title: "Password reset",
    summary: "The caller could not sign in; the agent sent a password reset link.",
    user: [
      "I cannot sign in, I think I need a password reset.",
      "I tried twice and now the account is locked.",
      "The email on file is my work address.",
      "Got the link, thank you.",
    ],
    agent: [
      "I can help with the password. Let me verify your account first.",
      "I have sent a password reset link to the email on file.",
      "The lock clears as soon as the new password is set.",
    ],
  },
  {
    intent: "booking",
    title: "Table booking",
    summary: "The caller booked a table for four on Friday evening.",
    user: [
      "I want to book a table for four on Friday.",
      "Around seven in the evening, if possible.",
      "Could we sit by the window?",
      "Perfect, see you Friday.",
    ],
    agent: [
      "Let me check availability for Friday.",
      "I have a table for four at seven fifteen.",
      "The booking is confirmed; you will get a text reminder.",
    ],
  },
  {
    intent: "billing",
    title: "Double charge on invoice",
    summary: "The caller was charged twice; the agent confirmed the duplicate invoice charge would be reversed.",
    user: [
      "I was charged twice on this month's invoice.",
      "Both charges are for the same amount.",
      "Can you reverse one of them?",
      "Okay, thanks for sorting that out.",
    ],
    agent: [
      "Let me pull up the invoice.",
      "I can see the duplicate charge; it will be reversed within two days.",
      "You will get a corrected invoice by email.",
    ],
  },
  {
    intent: "warranty",
    title: "Warranty question",
    summary: "The caller asked whether a blender is under warranty; the agent confirmed coverage and opened a claim.",
    user: [
      "Is my blender still under warranty?",
      "I bought it about eighteen months ago.",
      "The motor makes a grinding noise.",
      "Great, I will send it in.",
    ],
    agent: [
      "Let me check the warranty on that model.",
      "It has a two-year warranty, so you are covered.",
      "I have opened a warranty claim and emailed a shipping label.",
    ],
  },
];

/** The agent's first turn in every transcript. */
export const GREETING = "Hello, thanks for calling. How can I help you today?";
