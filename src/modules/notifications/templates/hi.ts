import type { Language, MessageValues } from './types.ts';

/** Hindi (Devanagari). Names, money and the product's name stay as they are written. */

const cancelledBy = (v: MessageValues) => {
  if (v.cancelledBy === 'admin') return 'क्लिनिक द्वारा';
  if (v.cancelledBy === v.role) return 'आपके अनुरोध पर';
  return v.cancelledBy === 'doctor' ? 'डॉक्टर द्वारा' : 'मरीज़ द्वारा';
};

const inHours = (hours: number) => `${hours} घंटे में`;

const joinLine = (v: MessageValues) => `शुरू होने से 15 मिनट पहले से आप ऐप से जुड़ सकते हैं: ${v.link}`;
const openLine = (v: MessageValues) => `ऐप में देखें: ${v.link}`;

const reminder = (hours: number) => ({
  subject: (v: MessageValues) =>
    v.role === 'patient'
      ? `याद दिलाना: ${v.doctorName} के साथ आपका परामर्श, ${v.whenShort}`
      : `याद दिलाना: ${v.patientName} के साथ परामर्श, ${v.whenShort}`,
  paragraphs: (v: MessageValues) =>
    v.role === 'patient'
      ? [
          `${v.doctorName} के साथ आपका ${hi.modes[v.mode]} परामर्श ${v.when} है, यानी ${inHours(hours)}।`,
          joinLine(v),
        ]
      : [
          `${v.patientName} के साथ आपका ${hi.modes[v.mode]} परामर्श ${v.when} है, यानी ${inHours(hours)}।`,
          openLine(v),
        ],
  sms: (v: MessageValues) =>
    v.role === 'patient'
      ? `Amrutam: याद दिलाना, ${v.doctorName} के साथ आपका परामर्श ${v.whenShort} को है (${inHours(hours)})। ऐप से जुड़ें।`
      : `Amrutam: याद दिलाना, ${v.whenShort} को आपका एक परामर्श है (${inHours(hours)})।`,
});

export const hi: Language = {
  tag: 'hi-IN',
  greeting: (name) => `नमस्ते ${name},`,
  zoneNote: (zone) => `समय डॉक्टर के समय क्षेत्र (${zone}) में है, जैसा ऐप में दिखता है।`,
  signOff: '— Amrutam',
  modes: { video: 'वीडियो', audio: 'ऑडियो', chat: 'चैट' },
  templates: {
    confirmed: {
      subject: (v) =>
        v.role === 'patient'
          ? `पक्का हुआ: ${v.doctorName} के साथ आपका परामर्श`
          : `नई बुकिंग: ${v.patientName}, ${v.whenShort}`,
      paragraphs: (v) =>
        v.role === 'patient'
          ? [
              `${v.doctorName} के साथ आपका ${hi.modes[v.mode]} परामर्श ${v.when} के लिए पक्का हो गया है।`,
              joinLine(v),
            ]
          : [`${v.patientName} ने आपके साथ ${v.when} के लिए ${hi.modes[v.mode]} परामर्श बुक किया है।`, openLine(v)],
      sms: (v) =>
        v.role === 'patient'
          ? `Amrutam: ${v.doctorName} के साथ आपका परामर्श ${v.whenShort} के लिए पक्का है।`
          : `Amrutam: ${v.whenShort} के लिए नया ${hi.modes[v.mode]} परामर्श बुक हुआ।`,
    },
    payment_failed: {
      subject: () => 'आपका भुगतान पूरा नहीं हुआ',
      paragraphs: (v) => [
        `${v.doctorName} के साथ ${v.when} के परामर्श के लिए आपका ${v.amount} का भुगतान पूरा नहीं हुआ।`,
        v.holdUntil
          ? `आपका स्लॉट ${v.holdUntil} तक रुका है: उसे बनाए रखने के लिए उससे पहले ऐप में फिर से भुगतान करें: ${v.link}`
          : `स्लॉट चुनने के लिए ऐप में फिर से बुक करें: ${v.link}`,
      ],
      sms: (v) =>
        v.holdUntil
          ? `Amrutam: आपका ${v.amount} का भुगतान पूरा नहीं हुआ। स्लॉट बनाए रखने के लिए ${v.holdUntil} तक ऐप में फिर से भुगतान करें।`
          : `Amrutam: आपका ${v.amount} का भुगतान पूरा नहीं हुआ।`,
    },
    hold_expired: {
      subject: () => 'आपकी बुकिंग छोड़ दी गई',
      paragraphs: (v) => [
        `${v.doctorName} के साथ ${v.when} के परामर्श का भुगतान समय पर नहीं मिला, इसलिए वह स्लॉट छोड़ दिया गया है।`,
        'देर से आया भुगतान पूरा लौटा दिया जाता है।',
        `ऐप में कोई दूसरा स्लॉट बुक करें: ${v.link}`,
      ],
      sms: (v) => `Amrutam: भुगतान समय पर न मिलने से ${v.whenShort} की आपकी बुकिंग छोड़ दी गई। ऐप में फिर से बुक करें।`,
    },
    cancelled: {
      subject: (v) => `रद्द: ${v.whenShort} का परामर्श`,
      paragraphs: (v) =>
        v.role === 'patient'
          ? [
              `${v.doctorName} के साथ ${v.when} का आपका परामर्श ${cancelledBy(v)} रद्द कर दिया गया है।`,
              v.refund
                ? `${v.refund} की धनवापसी उसी खाते में भेजी जा रही है जिससे आपने भुगतान किया था।`
                : 'इस रद्दीकरण पर कोई धनवापसी देय नहीं है।',
            ]
          : [
              `${v.patientName} के साथ ${v.when} का परामर्श ${cancelledBy(v)} रद्द कर दिया गया है।`,
              'यह स्लॉट फिर से बुकिंग के लिए खुला है।',
            ],
      sms: (v) =>
        v.role === 'patient' && v.refund
          ? `Amrutam: ${v.whenShort} का आपका परामर्श रद्द हो गया है। धनवापसी: ${v.refund}।`
          : `Amrutam: ${v.whenShort} का परामर्श रद्द हो गया है।`,
    },
    rescheduled: {
      subject: (v) => `समय बदला: परामर्श अब ${v.whenShort}`,
      paragraphs: (v) =>
        v.role === 'patient'
          ? [`${v.doctorName} के साथ आपका परामर्श अब ${v.when} है।`, joinLine(v)]
          : [`${v.patientName} ने आपके साथ अपना परामर्श बदलकर ${v.when} कर दिया है।`, openLine(v)],
      sms: (v) =>
        v.role === 'patient'
          ? `Amrutam: ${v.doctorName} के साथ आपका परामर्श अब ${v.whenShort} को है।`
          : `Amrutam: एक परामर्श का समय बदलकर ${v.whenShort} हो गया है।`,
    },
    reminder_24h: reminder(24),
    reminder_1h: reminder(1),
    prescription_ready: {
      subject: (v) => `${v.doctorName} का पर्चा तैयार है`,
      paragraphs: (v) => [
        `${v.when} के परामर्श के लिए ${v.doctorName} ने आपका पर्चा जारी कर दिया है।`,
        `इसे ऐप से डाउनलोड करें: ${v.link}`,
      ],
      sms: (v) => `Amrutam: ${v.doctorName} का आपका पर्चा तैयार है। डाउनलोड करने के लिए ऐप खोलें।`,
    },
  },
};
