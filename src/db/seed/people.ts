/**
 * Realistic Indian names, places and profile wording for seeded accounts: first names and surnames
 * from across the country, cities with the languages people there consult in (besides Hindi and
 * English), qualifications and areas of focus for doctors' bios. Only words: every choice among them
 * is made by the caller's Random, in the caller's order.
 */
import type { LANGUAGES } from '../../modules/doctors/reference.ts';
import type { Random } from './random.ts';

const FIRST_NAMES = (
  'Aarav Aditya Ajay Akash Amit Anand Anil Arjun Ashok Bharat Chetan Deepak Dev Dinesh Gaurav ' +
  'Harish Hemant Imran Jagdish Karan Kiran Krishna Manish Mohan Mukesh Naveen Nikhil Pradeep ' +
  'Prakash Rahul Rajesh Rakesh Ramesh Ravi Rohit Sachin Sanjay Santosh Siddharth Suresh Tarun Vijay ' +
  'Vikram Vinod Vivek Yash Aishwarya Ananya Anjali Aparna Bhavana Deepa Divya Gayatri Geeta ' +
  'Harpreet Indira Jyoti Kavya Kavita Lakshmi Meera Neha Nandini Pooja Priya Radha Rekha Ritu ' +
  'Sangeeta Sarita Shreya Sneha Sunita Swati Tanvi Uma Vandana Vidya Zoya Farah'
).split(' ');

const SURNAMES = (
  'Sharma Verma Gupta Agarwal Mishra Tiwari Pandey Dubey Shukla Srivastava Saxena Mathur Kapoor ' +
  'Malhotra Khanna Arora Bhatia Sethi Singh Gill Sandhu Chauhan Rathore Yadav Thakur Jain Shah ' +
  'Mehta Desai Bhatt Trivedi Patel Joshi Kulkarni Deshpande Patil Pawar Jadhav Shinde Gaikwad Naik ' +
  'Kamath Hegde Shetty Gowda Rao Reddy Naidu Iyer Iyengar Krishnan Subramanian Raman Menon Nair ' +
  'Pillai Kurup Banerjee Chatterjee Mukherjee Bose Ghosh Sen Das Dutta Sarkar Barua Bora Hazarika ' +
  'Mohanty Patnaik Mahapatra Panda Sahu Qureshi Ansari Siddiqui Khan Fernandes Pinto'
).split(' ');

/** Cities and the languages people there consult in (besides Hindi and English). */
export const CITIES: ReadonlyArray<{ city: string; languages: readonly (typeof LANGUAGES)[number][] }> = [
  { city: 'Pune', languages: ['mr'] },
  { city: 'Mumbai', languages: ['mr', 'gu'] },
  { city: 'Nagpur', languages: ['mr'] },
  { city: 'Bengaluru', languages: ['kn'] },
  { city: 'Mysuru', languages: ['kn', 'sa'] },
  { city: 'Udupi', languages: ['kn'] },
  { city: 'Chennai', languages: ['ta'] },
  { city: 'Coimbatore', languages: ['ta', 'ml'] },
  { city: 'Hyderabad', languages: ['te', 'ur'] },
  { city: 'Vijayawada', languages: ['te'] },
  { city: 'Kochi', languages: ['ml'] },
  { city: 'Thiruvananthapuram', languages: ['ml'] },
  { city: 'Kottakkal', languages: ['ml'] },
  { city: 'Kolkata', languages: ['bn'] },
  { city: 'Ahmedabad', languages: ['gu'] },
  { city: 'Jamnagar', languages: ['gu', 'sa'] },
  { city: 'Jaipur', languages: [] },
  { city: 'Lucknow', languages: ['ur'] },
  { city: 'Varanasi', languages: ['sa'] },
  { city: 'Haridwar', languages: ['sa'] },
  { city: 'Rishikesh', languages: [] },
  { city: 'New Delhi', languages: ['pa'] },
  { city: 'Bhubaneswar', languages: ['or'] },
  { city: 'Guwahati', languages: ['as', 'bn'] },
  { city: 'Amritsar', languages: ['pa'] },
  { city: 'Bhopal', languages: [] },
];

export const LANGUAGE_NAMES: Record<string, string> = {
  hi: 'Hindi',
  en: 'English',
  bn: 'Bengali',
  te: 'Telugu',
  mr: 'Marathi',
  ta: 'Tamil',
  gu: 'Gujarati',
  kn: 'Kannada',
  ml: 'Malayalam',
  or: 'Odia',
  pa: 'Punjabi',
  as: 'Assamese',
  ur: 'Urdu',
  sa: 'Sanskrit',
};
/** "a", "a and b", "a, b and c". */
export const listed = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

export const QUALIFICATIONS = ['BAMS', 'BAMS, MD (Ayurveda)', 'BAMS, MS (Ayurveda)', 'BAMS, PhD (Ayurveda)'];
export const FOCUS = [
  'chronic digestive complaints',
  'joint pain and arthritis',
  'skin conditions such as eczema and psoriasis',
  'stress, sleep and anxiety',
  'PCOS and menstrual health',
  'diabetes and metabolic health',
  "children's recurring colds and allergies",
  'migraine and sinusitis',
  'post-illness recovery and immunity',
  'lifestyle and diet planning',
];

export function personName(random: Random) {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(SURNAMES);
  return `${first} ${last}`;
}
