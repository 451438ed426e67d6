import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Role } from '../../config.ts';
import { metaOf, requireAuth, requireRole } from '../../http/index.ts';
import { PDF_RETRY_AFTER_SECONDS } from './rendering.ts';
import * as s from './schemas.ts';
import type { RecordsService } from './service.ts';

export const recordsRoutes: FastifyPluginAsyncZod<{
  records: RecordsService;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { records, mfaRequiredRoles }) => {
  const tags = ['records'];
  const security = [{ bearer: [] }];
  const guard = (roles: readonly Role[] | 'any') => requireRole(roles, { mfaRequiredRoles });
  const phi = 'PHI: stored encrypted; every read is audited. Others’ appointments are 404.';
  // PHI is never kept by a browser or a proxy.
  const private_ = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.put(
    '/appointments/:id/notes',
    {
      preHandler: guard(['doctor']),
      schema: {
        tags,
        summary: 'Save the clinical notes (the appointment’s doctor; a new version each time)',
        description: `While the consultation is in progress, and for NOTES_EDIT_HOURS_AFTER_COMPLETION (72) hours after it was completed: later 409 NOTES_CLOSED (with \`closesAt\`); in any other state 409 INVALID_STATE. Earlier versions stay readable (\`?version=\`). ${phi}`,
        security,
        'x-problems': { 409: ['INVALID_STATE', 'NOTES_CLOSED'] },
        params: s.idParams,
        body: s.notesBody,
        response: { 200: s.notesSchema },
      },
    },
    async (request, reply) => {
      private_(reply);
      return records.saveNotes(requireAuth(request), request.params.id, request.body.text, metaOf(request));
    },
  );

  app.get(
    '/appointments/:id/notes',
    {
      preHandler: guard('any'),
      schema: {
        tags,
        summary: 'Read the clinical notes (the parties and admins)',
        description: `The latest version, or \`?version=N\`. No notes yet: 404. ${phi}`,
        security,
        params: s.idParams,
        querystring: s.versionQuery,
        response: { 200: s.notesSchema },
      },
    },
    async (request, reply) => {
      private_(reply);
      return records.readNotes(
        requireAuth(request),
        request.params.id,
        request.query.version,
        metaOf(request),
      );
    },
  );

  app.post(
    '/appointments/:id/prescription',
    {
      preHandler: guard(['doctor']),
      schema: {
        tags,
        summary: 'Issue or amend the prescription (the appointment’s doctor; in progress or completed)',
        description: `An amendment is a new version: the one it replaces is marked \`supersededAt\`/\`supersededBy\` and stays readable. It carries the doctor’s name, registration number and council as they are now (409 REGISTRATION_NUMBER_REQUIRED without them) and the patient’s name, age and sex (409 PATIENT_PROFILE_INCOMPLETE until the patient has set date of birth and sex with PUT /me/profile). The PDF is rendered in the background: GET …/prescription.pdf. ${phi}`,
        security,
        'x-problems': {
          409: ['INVALID_STATE', 'REGISTRATION_NUMBER_REQUIRED', 'PATIENT_PROFILE_INCOMPLETE'],
        },
        params: s.idParams,
        body: s.prescriptionBody,
        response: { 201: s.prescriptionSchema },
      },
    },
    async (request, reply) => {
      const issued = await records.issuePrescription(
        requireAuth(request),
        request.params.id,
        request.body,
        metaOf(request),
      );
      return private_(reply).status(201).send(issued);
    },
  );

  app.get(
    '/appointments/:id/prescription',
    {
      preHandler: guard('any'),
      schema: {
        tags,
        summary: 'Read the prescription (the parties and admins)',
        description: `The current version, or \`?version=N\` for an earlier one. None yet: 404. ${phi}`,
        security,
        params: s.idParams,
        querystring: s.versionQuery,
        response: { 200: s.prescriptionSchema },
      },
    },
    async (request, reply) => {
      private_(reply);
      return records.readPrescription(
        requireAuth(request),
        request.params.id,
        request.query.version,
        metaOf(request),
      );
    },
  );

  app.get(
    '/appointments/:id/prescription.pdf',
    {
      preHandler: guard('any'),
      schema: {
        tags,
        summary: 'The prescription as a PDF (the parties and admins)',
        description: `200 \`application/pdf\` once rendered; until then 202 with \`Retry-After: ${PDF_RETRY_AFTER_SECONDS}\` and \`{status: "rendering"}\`. The current version, or \`?version=N\`. It shows everything the prescription says, a verification id and the SHA-256 of its content. ${phi}`,
        security,
        params: s.idParams,
        querystring: s.versionQuery,
        response: { 200: s.pdfDocument, 202: s.pdfRendering },
      },
    },
    async (request, reply) => {
      const pdf = await records.prescriptionPdf(
        requireAuth(request),
        request.params.id,
        request.query.version,
        metaOf(request),
      );
      if (pdf.status === 'rendering') {
        return private_(reply)
          .status(202)
          .header('retry-after', String(PDF_RETRY_AFTER_SECONDS))
          .send({ status: 'rendering', retryAfterSeconds: PDF_RETRY_AFTER_SECONDS });
      }
      // A Buffer is sent as it is (only objects go through the response schema's serializer).
      return private_(reply)
        .status(200)
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${pdf.filename}"`)
        .send(pdf.bytes);
    },
  );

  app.get(
    '/prescriptions/verify/:verificationId',
    {
      schema: {
        tags,
        summary: 'Check a prescription by the verification id printed on it (anyone)',
        description:
          'Confirms who issued it, when, and the SHA-256 printed on it; says whether an amendment superseded it. Never shows the patient or the contents. Unknown id: 404.',
        params: s.verificationParams,
        response: { 200: s.verificationSchema },
      },
    },
    async (request) => records.verifyPrescription(request.params.verificationId),
  );
};
